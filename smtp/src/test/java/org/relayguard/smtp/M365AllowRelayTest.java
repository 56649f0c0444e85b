package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class M365AllowRelayTest {
    private static final String RANGES = "40.92.0.0/15, 40.107.0.0/16,\n 2a01:111:f400::/48";

    private DomainList domainList;
    private RecordingMetricFactory metrics;
    private M365AllowRelay handler;

    @BeforeEach
    void setUp() throws Exception {
        domainList = mock(DomainList.class);
        when(domainList.containsDomain(Domain.of("contoso.com"))).thenReturn(true);
        DNSService dns = mock(DNSService.class);
        when(dns.getByName(anyString())).thenAnswer(call -> InetAddress.getByName(call.getArgument(0)));
        metrics = new RecordingMetricFactory();
        handler = new M365AllowRelay(domainList, dns, metrics);
    }

    private void init(String allowRelay, String networks) throws ConfigurationException {
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        if (allowRelay != null) {
            config.addProperty("allowRelay", allowRelay);
        }
        if (networks != null) {
            config.addProperty("networks", networks);
        }
        handler.init(config);
    }

    private static SMTPSession sessionFrom(String address) throws Exception {
        SMTPSession session = mock(SMTPSession.class);
        when(session.getRemoteAddress()).thenReturn(new InetSocketAddress(InetAddress.getByName(address), 25));
        when(session.getSSLSession()).thenReturn(Optional.empty());
        return session;
    }

    private HookResult rcpt(String client, String recipient) throws Exception {
        return handler.doRcpt(sessionFrom(client), MaybeSender.of(new MailAddress("a@contoso.com")), new MailAddress(recipient));
    }

    @Test
    void offRefusesRelayFromExchangeOnlineWith550AndCountsIt() throws Exception {
        init("false", RANGES);

        HookResult result = rcpt("40.107.1.2", "someone@external.example");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).startsWith("5.7.1 Relay from Microsoft 365 is turned off");
        assertThat(metrics.countFor(M365AllowRelay.REFUSED_METRIC)).isEqualTo(1);
    }

    @Test
    void offAcceptsMailForOurDomainsAndOtherClients() throws Exception {
        init("false", RANGES);

        assertThat(rcpt("40.107.1.2", "someone@contoso.com")).isEqualTo(HookResult.DECLINED);
        assertThat(rcpt("2a01:111:f400::25", "someone@contoso.com")).isEqualTo(HookResult.DECLINED);
        assertThat(rcpt("127.0.0.1", "someone@external.example")).isEqualTo(HookResult.DECLINED);
        assertThat(metrics.countFor(M365AllowRelay.REFUSED_METRIC)).isZero();
    }

    @Test
    void offAnswersTemporarilyWhenTheDomainListCannotBeRead() throws Exception {
        init("false", RANGES);
        when(domainList.containsDomain(Domain.of("external.example"))).thenThrow(new DomainListException("down"));

        HookResult result = rcpt("40.107.1.2", "someone@external.example");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode()).isEqualTo("451");
    }

    @Test
    void onLetsEverythingThrough() throws Exception {
        init("TRUE", RANGES);

        assertThat(rcpt("40.107.1.2", "someone@external.example")).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void badParametersStopStartUpNamingTheHandlerAndTheParameter() {
        assertThatThrownBy(() -> init("maybe", RANGES)).hasMessage("M365AllowRelay: parameter 'allowRelay' must be 'true' or 'false', got 'maybe'");
        assertThatThrownBy(() -> init(null, RANGES)).hasMessageContaining("M365AllowRelay: parameter 'allowRelay' is required");
        assertThatThrownBy(() -> init("false", " ")).hasMessageContaining("M365AllowRelay: parameter 'networks' is required");
        assertThatThrownBy(() -> init("false", "40.107.0.0/16, mail.example.org")).hasMessageContaining("'mail.example.org', not an address or a CIDR range");
    }
}
