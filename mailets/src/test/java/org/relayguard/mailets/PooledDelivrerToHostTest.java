package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.InternetAddress;
import javax.net.ssl.SSLContext;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.HostAddress;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relayguard.mailets.ScriptedSmtpServer.Misbehaviour;

/**
 * One mail to one next hop over the pool, against a real SMTP server on 127.0.0.1 that counts its
 * connections and can misbehave on a given transaction.
 */
class PooledDelivrerToHostTest {
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private ScriptedSmtpServer nextHop;
    private final SettableClock clock = new SettableClock();
    private final List<PooledDelivrerToHost> delivrers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        nextHop = new ScriptedSmtpServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        delivrers.forEach(PooledDelivrerToHost::close);
        nextHop.close();
    }

    private PooledDelivrerToHost delivrer(int maxConnections, String... parameters) throws Exception {
        FakeMailetConfig.Builder config = FakeMailetConfig.builder()
            .mailetName("PooledDelivery")
            .setProperty("gateway", "127.0.0.1:" + nextHop.port())
            .setProperty("sendpartial", "true")
            .setProperty("connectiontimeout", "2000")
            .setProperty("timeout", "5000");
        for (int i = 0; i < parameters.length; i += 2) {
            config.setProperty(parameters[i], parameters[i + 1]);
        }
        DomainList domainList = mock(DomainList.class);
        when(domainList.getDefaultDomain()).thenReturn(Domain.of("gateway.test"));
        RemoteDeliveryConfiguration configuration = new RemoteDeliveryConfiguration(config.build(), domainList);
        PooledDelivrerToHost delivrer = new PooledDelivrerToHost(configuration, FakeMailContext.defaultContext(),
            SSLContext.getDefault().getSocketFactory(), maxConnections, IDLE_TIMEOUT, clock);
        delivrers.add(delivrer);
        return delivrer;
    }

    private HostAddress nextHopAddress() {
        return new HostAddress("127.0.0.1", "smtp://127.0.0.1:" + nextHop.port());
    }

    private static FakeMail mail(String name, String... recipients) throws Exception {
        return FakeMail.builder()
            .name(name)
            .sender("sender@contoso.com")
            .recipients(recipients)
            .mimeMessage(message(name))
            .build();
    }

    static MimeMessage message(String subject) throws MessagingException {
        String text = "From: sender@contoso.com\r\nSubject: " + subject + "\r\n\r\nBody of " + subject + "\r\n";
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private ExecutionResult send(PooledDelivrerToHost delivrer, FakeMail mail) throws Exception {
        List<InternetAddress> recipients = mail.getRecipients().stream()
            .map(recipient -> recipient.toInternetAddress().orElseThrow())
            .collect(Collectors.toList());
        return delivrer.tryDeliveryToHost(mail, recipients, nextHopAddress());
    }

    @Test
    void mailAfterMailGoesOverOneConnection() throws Exception {
        PooledDelivrerToHost delivrer = delivrer(8);

        for (int i = 1; i <= 5; i++) {
            assertThat(send(delivrer, mail("mail-" + i, "user" + i + "@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);
        }

        assertThat(nextHop.received()).extracting(received -> received.recipients.get(0))
            .containsExactly("user1@fabrikam.example", "user2@fabrikam.example", "user3@fabrikam.example",
                "user4@fabrikam.example", "user5@fabrikam.example");
        assertThat(nextHop.received()).allSatisfy(received -> assertThat(received.sender).isEqualTo("sender@contoso.com"));
        assertThat(nextHop.connectionCount()).isEqualTo(1);
    }

    @Test
    void aConnectionTheServerClosedWith421IsNotReusedAndTheMailGoesOverANewOne() throws Exception {
        nextHop.misbehaving(transaction -> transaction == 2 ? Misbehaviour.REPLY_421_AND_CLOSE_AT_MAIL_FROM : Misbehaviour.NONE);
        PooledDelivrerToHost delivrer = delivrer(8);

        assertThat(send(delivrer, mail("first", "first@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);
        assertThat(send(delivrer, mail("second", "second@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);
        assertThat(send(delivrer, mail("third", "third@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        assertThat(nextHop.received()).extracting(received -> received.recipients.get(0) + " on " + received.connection)
            .containsExactly("first@fabrikam.example on 1", "second@fabrikam.example on 2", "third@fabrikam.example on 2");
        assertThat(nextHop.connectionCount()).isEqualTo(2);
    }

    @Test
    void aConnectionTheServerDroppedWithoutAWordIsNotReusedAndTheMailGoesOverANewOne() throws Exception {
        nextHop.misbehaving(transaction -> transaction == 2 ? Misbehaviour.CLOSE_SILENTLY_AT_MAIL_FROM : Misbehaviour.NONE);
        PooledDelivrerToHost delivrer = delivrer(8);

        assertThat(send(delivrer, mail("first", "first@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);
        assertThat(send(delivrer, mail("second", "second@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        assertThat(nextHop.received()).extracting(received -> received.recipients.get(0) + " on " + received.connection)
            .containsExactly("first@fabrikam.example on 1", "second@fabrikam.example on 2");
    }

    @Test
    void aFailureOnANewConnectionGoesToJamesAndThatConnectionIsNotReused() throws Exception {
        nextHop.misbehaving(transaction -> transaction == 1 ? Misbehaviour.CLOSE_SILENTLY_AFTER_DOT : Misbehaviour.NONE);
        PooledDelivrerToHost delivrer = delivrer(8);

        assertThatThrownBy(() -> send(delivrer, mail("dropped", "dropped@fabrikam.example"))).isInstanceOf(MessagingException.class);
        assertThat(nextHop.received()).as("the server dropped the connection before its 250").isEmpty();

        assertThat(send(delivrer, mail("next", "next@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);
        assertThat(nextHop.received()).extracting(received -> received.connection).containsExactly(2);
    }

    @Test
    void aConnectionIdleLongerThanTheIdleTimeoutIsClosedNotReused() throws Exception {
        PooledDelivrerToHost delivrer = delivrer(8);
        assertThat(send(delivrer, mail("before", "before@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        clock.advance(IDLE_TIMEOUT.plusSeconds(1));
        assertThat(send(delivrer, mail("after", "after@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        assertThat(nextHop.received()).extracting(received -> received.connection).containsExactly(1, 2);
        assertThat(nextHop.quitCount()).as("the idle connection said QUIT").isEqualTo(1);
    }

    @Test
    void closeIdleQuitsTheConnectionsIdleLongerThanTheIdleTimeoutOnly() throws Exception {
        PooledDelivrerToHost delivrer = delivrer(8);
        assertThat(send(delivrer, mail("mail", "user@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        delivrer.closeIdle();
        assertThat(nextHop.quitCount()).as("still fresh").isZero();

        clock.advance(IDLE_TIMEOUT);
        delivrer.closeIdle();
        assertThat(nextHop.quitCount()).isEqualTo(1);
    }

    @Test
    void closeIdleDropsThePoolOfAHostLeftWithoutConnectionsAndANewMailMakesItAgain() throws Exception {
        PooledDelivrerToHost delivrer = delivrer(8);
        assertThat(send(delivrer, mail("first", "user@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        delivrer.closeIdle();
        assertThat(delivrer.poolCount()).as("an idle connection still fresh").isEqualTo(1);

        clock.advance(IDLE_TIMEOUT);
        delivrer.closeIdle();
        assertThat(delivrer.poolCount()).as("MX hosts met once must not pile up").isZero();

        assertThat(send(delivrer, mail("second", "user@fabrikam.example")).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);
        assertThat(nextHop.received()).hasSize(2);
        assertThat(delivrer.poolCount()).isEqualTo(1);
    }

    @Test
    void aRefusedRecipientIsReportedAndTheOtherOneGetsTheMail() throws Exception {
        nextHop.refusing("nobody@fabrikam.example");
        PooledDelivrerToHost delivrer = delivrer(8);

        assertThatThrownBy(() -> send(delivrer, mail("partial", "nobody@fabrikam.example", "user@fabrikam.example")))
            .isInstanceOfSatisfying(SendFailedException.class, failed -> {
                assertThat(failed.getInvalidAddresses()).extracting(Object::toString).containsExactly("nobody@fabrikam.example");
                assertThat(failed.getValidSentAddresses()).extracting(Object::toString).containsExactly("user@fabrikam.example");
            });
        assertThat(nextHop.received()).extracting(received -> received.recipients).containsExactly(List.of("user@fabrikam.example"));
    }

    @Test
    void theNullSenderIsSentAsTheNullSender() throws Exception {
        PooledDelivrerToHost delivrer = delivrer(8);
        FakeMail bounce = FakeMail.builder()
            .name("bounce")
            .recipient("user@fabrikam.example")
            .mimeMessage(message("bounce"))
            .build();

        assertThat(send(delivrer, bounce).getExecutionState()).isEqualTo(ExecutionResult.ExecutionState.SUCCESS);

        assertThat(nextHop.received()).extracting(received -> received.sender).containsExactly("");
    }

    /** The pool itself: at most maxConnections lent out at once; one given back is lent again. */
    @Test
    void thePoolLendsAtMostMaxConnectionsAtOnce() throws Exception {
        SmtpConnectionPool pool = new SmtpConnectionPool("smtp", "127.0.0.1", nextHop.port(), null, null, new Properties(),
            2, IDLE_TIMEOUT, Duration.ofMillis(200), clock);
        try {
            SmtpConnectionPool.Lease first = pool.borrow();
            SmtpConnectionPool.Lease second = pool.borrow();

            assertThatThrownBy(pool::borrow).isInstanceOf(MessagingException.class).hasMessageContaining("no free connection");

            pool.giveBack(first, true);
            SmtpConnectionPool.Lease third = pool.borrow();
            assertThat(third.reused).isTrue();
            assertThat(third.transport).isSameAs(first.transport);
            assertThat(nextHop.connectionCount()).isEqualTo(2);
            pool.giveBack(second, false);
            pool.giveBack(third, true);
        } finally {
            pool.close();
        }
    }

    static final class SettableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
