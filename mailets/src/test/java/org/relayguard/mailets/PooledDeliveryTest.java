package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.memory.MemoryMailQueueFactory;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import com.google.common.collect.ImmutableList;

/**
 * PooledDelivery as James runs it: its own delivery threads on James's memory queue, delivering to
 * a real SMTP server on 127.0.0.1. Every mail ends delivered, back in the queue for a retry, or
 * bounced.
 */
class PooledDeliveryTest {
    private static final String QUEUE = "to-gateway";

    private ScriptedSmtpServer nextHop;
    private MemoryMailQueueFactory queues;
    private DomainList domainList;
    private DNSService dns;
    private FakeMailContext context;
    private RecordingMetricFactory metrics;
    private final List<PooledDelivery> mailets = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        nextHop = new ScriptedSmtpServer();
        queues = new MemoryMailQueueFactory(new RawMailQueueItemDecoratorFactory());
        domainList = mock(DomainList.class);
        when(domainList.getDefaultDomain()).thenReturn(Domain.of("gateway.test"));
        dns = mock(DNSService.class);
        when(dns.getByName(anyString())).thenReturn(InetAddress.getLoopbackAddress());
        when(dns.getAllByName(anyString())).thenReturn(ImmutableList.of(InetAddress.getLoopbackAddress()));
        context = FakeMailContext.defaultContext();
        metrics = new RecordingMetricFactory();
    }

    @AfterEach
    void tearDown() throws Exception {
        mailets.forEach(PooledDelivery::destroy);
        nextHop.close();
    }

    private FakeMailetConfig.Builder config() {
        return FakeMailetConfig.builder()
            .mailetName("to-gateway")
            .mailetContext(context)
            .setProperty("outgoing", QUEUE)
            .setProperty("gateway", "127.0.0.1:" + nextHop.port())
            .setProperty("delayTime", "3600000")
            .setProperty("maxRetries", "3")
            .setProperty("sendpartial", "true")
            .setProperty("bounceProcessor", "bounces")
            .setProperty("connectiontimeout", "5000");
    }

    private PooledDelivery started(FakeMailetConfig.Builder config) throws MessagingException {
        PooledDelivery mailet = new PooledDelivery(new DeliveryServices(dns, domainList, queues, metrics));
        mailets.add(mailet);
        mailet.init(config.build());
        return mailet;
    }

    private static FakeMail mail(String name, String... recipients) throws Exception {
        return FakeMail.builder()
            .name(name)
            .sender("sender@contoso.com")
            .recipients(recipients)
            .mimeMessage(PooledDelivrerToHostTest.message(name))
            .build();
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s for: %s", what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private long queued() throws Exception {
        return queues.getQueue(MailQueueName.of(QUEUE)).map(queue -> {
            try {
                return ((ManageableMailQueue) queue).getSize();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).orElse(0L);
    }

    /** Without a gateway: James's MailDelivrer asks the DNS service for the domain's MX hosts, in the order it gives them. */
    private FakeMailetConfig.Builder mxConfig(String domain, String... mxHosts) throws Exception {
        when(dns.findMXRecords(domain)).thenReturn(List.of(mxHosts));
        FakeMailetConfig.Builder config = config().setProperty("gateway", "");
        return config;
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void withoutAGatewayTheMailShouldGoToTheFirstMxHostOverAPooledConnection() throws Exception {
        try (ScriptedSmtpServer second = new ScriptedSmtpServer()) {
            PooledDelivery mailet = started(mxConfig("fabrikam.example", "127.0.0.1:" + nextHop.port(), "127.0.0.1:" + second.port()));

            for (int i = 1; i <= 5; i++) {
                mailet.service(mail("mx-" + i, "user" + i + "@fabrikam.example"));
                int delivered = i;
                eventually("mail " + i + " at the first MX host", () -> nextHop.received().size() == delivered);
            }

            assertThat(second.connectionCount()).isZero();
            assertThat(nextHop.connectionCount()).as("one connection, reused mail after mail").isEqualTo(1);
            eventually("the queue empty", () -> uncheckedQueued() == 0);
        }
    }

    @Test
    void deliveryShouldFallBackToTheNextMxWhenTheFirstRefusesConnections() throws Exception {
        PooledDelivery mailet = started(mxConfig("fabrikam.example", "127.0.0.1:" + closedPort(), "127.0.0.1:" + nextHop.port()));

        mailet.service(mail("fallback", "user@fabrikam.example"));

        eventually("the mail at the second MX host", () -> nextHop.received().size() == 1);
        assertThat(context.getSentMails()).isEmpty();
        eventually("the queue empty", () -> uncheckedQueued() == 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"421 4.3.2 busy", "554 5.7.1 no service here"})
    void deliveryShouldFallBackToTheNextMxWhenTheFirstGreetsWithAnythingBut220(String greeting) throws Exception {
        try (ServerSocket unwilling = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread greeter = new Thread(() -> {
                while (!unwilling.isClosed()) {
                    try (Socket client = unwilling.accept()) {
                        client.getOutputStream().write((greeting + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        client.getOutputStream().flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            greeter.setDaemon(true);
            greeter.start();
            PooledDelivery mailet = started(mxConfig("fabrikam.example", "127.0.0.1:" + unwilling.getLocalPort(), "127.0.0.1:" + nextHop.port()));

            mailet.service(mail("greeted", "user@fabrikam.example"));

            eventually("the mail at the second MX host", () -> nextHop.received().size() == 1);
            assertThat(context.getSentMails()).isEmpty();
        }
    }

    @Test
    void deliveryShouldFallBackToTheNextMxWhenTheFirstAnswers421ToMailFrom() throws Exception {
        try (ScriptedSmtpServer first = new ScriptedSmtpServer()) {
            first.misbehaving(transaction -> ScriptedSmtpServer.Misbehaviour.REPLY_421_AND_CLOSE_AT_MAIL_FROM);
            PooledDelivery mailet = started(mxConfig("fabrikam.example", "127.0.0.1:" + first.port(), "127.0.0.1:" + nextHop.port()));

            mailet.service(mail("busy-first", "user@fabrikam.example"));

            eventually("the mail at the second MX host", () -> nextHop.received().size() == 1);
            assertThat(first.received()).isEmpty();
            assertThat(context.getSentMails()).isEmpty();
        }
    }

    @Test
    void aPermanentRefusalByTheFirstMxShouldBounceWithoutTryingTheNext() throws Exception {
        try (ScriptedSmtpServer second = new ScriptedSmtpServer()) {
            nextHop.refusing("nobody@fabrikam.example");
            PooledDelivery mailet = started(mxConfig("fabrikam.example", "127.0.0.1:" + nextHop.port(), "127.0.0.1:" + second.port()));

            mailet.service(mail("refused", "nobody@fabrikam.example"));

            eventually("a bounce", () -> !context.getSentMails().isEmpty());
            assertThat(second.connectionCount()).as("a 5xx is the destination's answer, as James's MailDelivrer reads it").isZero();
            eventually("the queue empty", () -> uncheckedQueued() == 0);
        }
    }

    @Test
    void maxConnectionsShouldBoundTheMailsDeliveredAtOnceWhateverThePerHostBound() throws Exception {
        PooledDelivery mailet = started(mxConfig("fabrikam.example", "127.0.0.1:" + nextHop.port())
            .setProperty("maxConnectionsPerHost", "8").setProperty("maxConnections", "1"));

        for (int i = 0; i < 20; i++) {
            mailet.service(mail("bounded-" + i, "user" + i + "@fabrikam.example"));
        }

        eventually("20 mails at the MX host", () -> nextHop.received().size() == 20);
        assertThat(nextHop.mostConnectionsOpenAtOnce()).isEqualTo(1);
    }

    @Test
    void initShouldFailNamingTheMailetAndTheParameterWhenMaxConnectionsIsNotPositive() {
        for (String value : List.of("0", "-1", "all", "")) {
            PooledDelivery mailet = new PooledDelivery(DeliveryServices.queueOnly(dns, domainList, queues, new RecordingMetricFactory()));

            assertThatThrownBy(() -> mailet.init(config().setProperty("maxConnections", value).build()))
                .as("maxConnections '%s'", value)
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("PooledDelivery")
                .hasMessageContaining("'maxConnections'");
        }
    }

    @Test
    void initShouldFailNamingTheMailetAndTheParameterWhenMaxConnectionsPerHostIsNotPositive() {
        for (String value : List.of("0", "-1", "eight", "")) {
            PooledDelivery mailet = new PooledDelivery(DeliveryServices.queueOnly(dns, domainList, queues, new RecordingMetricFactory()));

            assertThatThrownBy(() -> mailet.init(config().setProperty("maxConnectionsPerHost", value).build()))
                .as("maxConnectionsPerHost '%s'", value)
                .isInstanceOf(MessagingException.class)
                .hasMessageContaining("PooledDelivery")
                .hasMessageContaining("'maxConnectionsPerHost'");
        }
    }

    @Test
    void initShouldFailNamingTheMailetAndTheParameterWhenIdleTimeoutIsNotPositive() {
        PooledDelivery mailet = new PooledDelivery(DeliveryServices.queueOnly(dns, domainList, queues, new RecordingMetricFactory()));

        assertThatThrownBy(() -> mailet.init(config().setProperty("idleTimeout", "30s").build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("PooledDelivery")
            .hasMessageContaining("'idleTimeout'");
    }

    @Test
    void mailsShouldGoOverAtMostMaxConnectionsPerHostConnectionsEachDeliveredOnce() throws Exception {
        PooledDelivery mailet = started(config().setProperty("maxConnectionsPerHost", "2"));
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            recipients.add("user" + i + "@fabrikam.example");
            mailet.service(mail("mail-" + i, "user" + i + "@fabrikam.example"));
        }

        eventually("40 mails at the next hop", () -> nextHop.received().size() >= 40);

        assertThat(nextHop.received()).extracting(received -> received.recipients.get(0)).containsExactlyInAnyOrderElementsOf(recipients);
        assertThat(nextHop.mostConnectionsOpenAtOnce()).isLessThanOrEqualTo(2);
        assertThat(nextHop.connectionCount()).as("connections reused across mails").isLessThanOrEqualTo(2);
        eventually("the queue empty", () -> uncheckedQueued() == 0);
    }

    @Test
    void aRefusedRecipientShouldBeBouncedAndTheOtherOneDelivered() throws Exception {
        nextHop.refusing("nobody@fabrikam.example");
        PooledDelivery mailet = started(config());

        mailet.service(mail("partial", "nobody@fabrikam.example", "user@fabrikam.example"));

        eventually("a bounce", () -> !context.getSentMails().isEmpty());
        assertThat(nextHop.received()).extracting(received -> received.recipients).containsExactly(List.of("user@fabrikam.example"));
        assertThat(context.getSentMails()).singleElement().satisfies(bounce -> {
            assertThat(bounce.getState()).isEqualTo("bounces");
            assertThat(bounce.getRecipients()).containsExactly(new MailAddress("nobody@fabrikam.example"));
        });
        eventually("the queue empty", () -> uncheckedQueued() == 0);
    }

    @Test
    void aMailTheNextHopDroppedShouldGoBackToTheQueueForARetry() throws Exception {
        nextHop.misbehaving(transaction -> ScriptedSmtpServer.Misbehaviour.CLOSE_SILENTLY_AFTER_DOT);
        PooledDelivery mailet = started(config());

        mailet.service(mail("dropped", "user@fabrikam.example"));

        eventually("the mail back in the queue, retried once", () -> retriesOfTheQueuedMails().equals(List.of(1)));
        assertThat(nextHop.received()).isEmpty();
        assertThat(context.getSentMails()).as("no bounce for a temporary failure").isEmpty();
        Mail queued = ((ManageableMailQueue) queues.getQueue(MailQueueName.of(QUEUE)).orElseThrow()).browse().next().getMail();
        assertThat(queued.getState()).as("RemoteDelivery's state for a mail being retried").isEqualTo(Mail.ERROR);
        assertThat(queued.getAttribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR))
            .contains(new Attribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR, AttributeValue.of(false)));
        eventually("the attempt timed", () -> metrics.executionTimesFor("RemoteDeliveryTrial").size() == 1);
        assertThat(metrics.countFor("outgoingMails")).isZero();
    }

    @Test
    void aMailStillFailingAfterMaxRetriesShouldBeBounced() throws Exception {
        nextHop.misbehaving(transaction -> ScriptedSmtpServer.Misbehaviour.CLOSE_SILENTLY_AFTER_DOT);
        PooledDelivery mailet = started(config().setProperty("delayTime", "100").setProperty("maxRetries", "1"));

        mailet.service(mail("dropped", "user@fabrikam.example"));

        eventually("a bounce", () -> !context.getSentMails().isEmpty());
        assertThat(context.getSentMails()).singleElement().satisfies(bounce -> {
            assertThat(bounce.getState()).isEqualTo("bounces");
            assertThat(bounce.getRecipients()).containsExactly(new MailAddress("user@fabrikam.example"));
        });
        assertThat(nextHop.connectionCount()).as("the first attempt and the retry").isEqualTo(2);
        eventually("the queue empty", () -> uncheckedQueued() == 0);
    }

    @Test
    void eachLineLoggedDuringADeliveryShouldCarryTheMailsContextAsRemoteDeliverysDo() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(PooledDelivrerToHost.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            PooledDelivery mailet = started(config());

            mailet.service(mail("with-context", "user@fabrikam.example", "other@fabrikam.example"));

            eventually("the mail at the next hop", () -> nextHop.received().size() == 1);
            eventually("the line saying it was sent", () -> !lines.list.isEmpty());
            assertThat(lines.list).allSatisfy(line -> assertThat(line.getMDCPropertyMap())
                .containsEntry("mail", "with-context")
                .containsEntry("recipients", "[user@fabrikam.example, other@fabrikam.example]")
                .containsEntry("sender", "sender@contoso.com"));
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void eachAttemptShouldBeTimedAndEachDeliveredMailCountedUnderRemoteDeliverysMetricNames() throws Exception {
        PooledDelivery mailet = started(config());

        mailet.service(mail("first", "user@fabrikam.example"));
        mailet.service(mail("second", "user@fabrikam.example"));

        eventually("both attempts timed", () -> metrics.executionTimesFor("RemoteDeliveryTrial").size() == 2);
        assertThat(metrics.countFor("outgoingMails")).isEqualTo(2);
    }

    private long uncheckedQueued() {
        try {
            return queued();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private List<Integer> retriesOfTheQueuedMails() {
        try {
            ManageableMailQueue queue = (ManageableMailQueue) queues.getQueue(MailQueueName.of(QUEUE)).orElseThrow();
            List<Integer> retries = new ArrayList<>();
            queue.browse().forEachRemaining(item -> {
                Mail mail = item.getMail();
                retries.add(DeliveryRetriesHelper.retrieveRetries(mail));
            });
            return retries.stream().collect(Collectors.toList());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
