package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which mailet delivers the internet route: the pool, to a gateway or to MX hosts; RemoteDelivery when asked for. */
class InternetDeliveryTest {
    private DomainList domainList;
    private InternetDelivery mailet;

    @BeforeEach
    void setUp() throws Exception {
        domainList = mock(DomainList.class);
        when(domainList.getDefaultDomain()).thenReturn(Domain.of("gateway.test"));
        mailet = new InternetDelivery(DeliveryServices.queueOnly(mock(DNSService.class), domainList,
            new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory()),
            new RecordingMetricFactory()));
    }

    @AfterEach
    void tearDown() {
        mailet.destroy();
    }

    private FakeMailetConfig.Builder config() {
        return FakeMailetConfig.builder()
            .mailetName("relay")
            .mailetContext(FakeMailContext.defaultContext())
            .setProperty("outgoing", "to-internet")
            .setProperty("bounceProcessor", "bounces");
    }

    @Test
    void initShouldChooseThePoolWhenAGatewayIsSet() throws Exception {
        mailet.init(config().setProperty("gateway", "relay.example.com").build());

        assertThat(mailet.isPooled()).isTrue();
        assertThat(mailet.getMailetInfo()).isEqualTo("InternetDelivery (PooledDelivery)");
    }

    @Test
    void initShouldChooseThePoolForMxDeliveryWhenTheGatewayIsEmpty() throws Exception {
        mailet.init(config().setProperty("gateway", "").build());

        assertThat(mailet.isPooled()).isTrue();
        assertThat(mailet.getMailetInfo()).isEqualTo("InternetDelivery (PooledDelivery)");
    }

    @Test
    void initShouldChooseRemoteDeliveryForMxDeliveryWhenAskedFor() throws Exception {
        mailet.init(config().setProperty("gateway", "").setProperty("delivery", "RemoteDelivery").build());

        assertThat(mailet.isPooled()).isFalse();
        assertThat(mailet.getMailetInfo()).isEqualTo("InternetDelivery (RemoteDelivery)");
    }

    @Test
    void initShouldFailNamingTheMailetAndTheParameterWhenMaxConnectionsIsWrongEvenWithRemoteDelivery() {
        for (String value : java.util.List.of("0", "-3", "many", "")) {
            assertThatThrownBy(() -> mailet.init(config().setProperty("delivery", "RemoteDelivery").setProperty("maxConnections", value).build()))
                .as("maxConnections '%s'", value)
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("InternetDelivery")
                .hasMessageContaining("'maxConnections'");
        }
    }

    @Test
    void initShouldChooseRemoteDeliveryWhenAskedForEvenWithAGateway() throws Exception {
        mailet.init(config().setProperty("gateway", "relay.example.com").setProperty("delivery", "RemoteDelivery").build());

        assertThat(mailet.isPooled()).isFalse();
    }

    @Test
    void initShouldFailNamingTheMailetAndTheParameterWhenDeliveryIsUnknown() {
        assertThatThrownBy(() -> mailet.init(config().setProperty("delivery", "Pooled").build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("InternetDelivery")
            .hasMessageContaining("'delivery'");
    }

    @Test
    void initShouldFailNamingTheParameterWhenMaxConnectionsPerHostIsWrongEvenWithoutAGateway() {
        assertThatThrownBy(() -> mailet.init(config().setProperty("maxConnectionsPerHost", "0").build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("'maxConnectionsPerHost'");
    }
}
