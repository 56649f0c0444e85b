package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.LocalDnsServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.process.Pause;

/**
 * The internet route as shipped, without an outbound gateway: the gateway finds each recipient
 * domain's MX hosts in DNS and delivers to them over pooled connections (issue 32, item 2; issue 31
 * on this route). One Relay Guard server whose resolver is a {@link LocalDnsServer} of its own
 * ({@value #DNS_ADDRESS}, through {@link JamesServer.Builder#resolvConf}); two MX hosts, each an
 * {@link SmtpSink} on port 25 of its own loopback address ({@value #MX1_ADDRESS}, with STARTTLS, and
 * {@value #MX2_ADDRESS}, offering SMTPUTF8), named {@value #MX1} and {@value #MX2} in that DNS; a
 * third name ({@value #DOWN}) whose address has nothing listening. The sender's domain has its MX
 * too, so bounces are delivered the same way.
 *
 * <p>Root only (port 25 and 53, a mount namespace), skipped otherwise, as {@code SlowReverseDnsTest}.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MxDeliveryTest {
    static final String DNS_ADDRESS = "127.53.53.55";
    static final String MX1_ADDRESS = "127.25.0.1";
    static final String MX2_ADDRESS = "127.25.0.2";
    static final String DOWN_ADDRESS = "127.25.0.9";
    static final String MX1 = "mx1.mx-test.example";
    static final String MX2 = "mx2.mx-test.example";
    static final String DOWN = "down.mx-test.example";
    static final String SENDER = "b@example.org";
    /** The shipped maxConnectionsPerHost is 8; the issue's bound is 10. */
    static final int MAX_CONNECTIONS = 10;

    private LocalDnsServer dns;
    private Path resolvConf;
    private SmtpSink mx1;
    private SmtpSink mx2;
    private NextHops hops;
    private JamesServer james;

    @BeforeAll
    void startGateway() throws Exception {
        assumeTrue(LocalDnsServer.canRun(), "needs root: DNS on port 53, MX hosts on port 25, a mount namespace for James");
        dns = LocalDnsServer.start(DNS_ADDRESS);
        dns.a(MX1, MX1_ADDRESS).a(MX2, MX2_ADDRESS).a(DOWN, DOWN_ADDRESS);
        dns.mx("example.org", 10, MX2);
        resolvConf = dns.resolvConf(Files.createTempFile("relayguard-resolv-", ".conf"));
        mx1 = SmtpSink.start(InetAddress.getByName(MX1_ADDRESS), 25, Optional.of(TestPki.internetHop()));
        mx2 = SmtpSink.start(InetAddress.getByName(MX2_ADDRESS), 25, Optional.empty());
        mx2.offerSmtpUtf8(true);
        hops = NextHops.start();
        james = JamesServer.builder().nextHops(hops)
            // No outbound gateway: the internet route delivers to MX hosts, as shipped.
            .env("RELAYGUARD_OUTBOUND_GATEWAY", "")
            .demoHostNames(true)
            .resolvConf(resolvConf)
            .start();
    }

    @AfterAll
    void stopGateway() throws IOException {
        for (AutoCloseable closeable : new AutoCloseable[] {james, hops, mx1, mx2, dns}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        }
        if (resolvConf != null) {
            Files.deleteIfExists(resolvConf);
        }
    }

    @Test
    void theMailShouldGoToTheMxHostOfLowestPreference() throws Exception {
        // Listed with the higher preference first, and the other way round for another domain.
        dns.mx("first-is-one.example", 20, MX2).mx("first-is-one.example", 10, MX1);
        dns.mx("first-is-two.example", 10, MX2).mx("first-is-two.example", 20, MX1);

        send("pref-1", SENDER, "", "user@first-is-one.example");
        send("pref-2", SENDER, "", "user@first-is-two.example");

        assertThat(awaitMail(mx1, withId("pref-1")).rcptTo).containsExactly("user@first-is-one.example");
        assertThat(awaitMail(mx2, withId("pref-2")).rcptTo).containsExactly("user@first-is-two.example");
        assertThat(mx2.received()).noneMatch(withId("pref-1"));
        assertThat(mx1.received()).noneMatch(withId("pref-2"));
        assertThat(dns.queries("MX", "first-is-one.example")).as("James asked our DNS").isPositive();
        assertThat(hops.internet().received()).as("no gateway: the test's old internet hop gets nothing").isEmpty();
    }

    @Test
    void deliveryShouldFallBackToTheNextMxWhenTheFirstRefusesConnections() throws Exception {
        dns.mx("first-down.example", 10, DOWN).mx("first-down.example", 20, MX2);

        send("down-1", SENDER, "", "user@first-down.example");

        assertThat(awaitMail(mx2, withId("down-1")).rcptTo).containsExactly("user@first-down.example");
        assertThat(mx1.received()).noneMatch(withId("down-1"));
    }

    @Test
    void deliveryShouldFallBackToTheNextMxWhenTheFirstDefersTheRecipient() throws Exception {
        dns.mx("first-defers.example", 10, MX1).mx("first-defers.example", 20, MX2);
        mx1.deferRecipients(recipient -> recipient.endsWith("@first-defers.example"));
        try {
            send("defer-1", SENDER, "", "user@first-defers.example");

            assertThat(awaitMail(mx2, withId("defer-1")).rcptTo).containsExactly("user@first-defers.example");
            assertThat(mx1.received()).noneMatch(withId("defer-1"));
        } finally {
            mx1.deferRecipients(recipient -> false);
        }
    }

    /**
     * James's MailDelivrer reads a 5xx to RCPT as the destination's answer: the recipient bounces,
     * the next MX host is not tried (as Postfix does).
     */
    @Test
    void aPermanentRefusalByTheFirstMxShouldBounceWithoutTryingTheNext() throws Exception {
        dns.mx("first-refuses.example", 10, MX1).mx("first-refuses.example", 20, MX2);
        mx1.rejectRecipient("nobody@first-refuses.example");

        send("refuse-1", SENDER, "", "nobody@first-refuses.example");

        SmtpSink.Received bounce = awaitMail(mx2, mail -> mail.mailFrom.isEmpty() && mail.rcptTo.contains(SENDER)
            && mail.message.contains("nobody@first-refuses.example"));
        assertThat(bounce.message).contains("550");
        assertThat(mx2.received()).noneMatch(withId("refuse-1"));
        assertThat(mx1.received()).noneMatch(withId("refuse-1"));
    }

    @Test
    void anIdnDomainShouldBeLookedUpByItsALabelAndGoOnInUtf8ToAnMxOfferingSmtpUtf8() throws Exception {
        String uLabel = "bücher-mx.example";
        String aLabel = IDN.toASCII(uLabel);
        dns.mx(aLabel, 10, MX2);

        send("idn-1", SENDER, "SMTPUTF8", "kunde@" + uLabel);

        SmtpSink.Received received = awaitMail(mx2, withId("idn-1"));
        assertThat(received.mailCommand).startsWith("MAIL FROM:<" + SENDER + "> SMTPUTF8");
        assertThat(received.rcptTo).containsExactly("kunde@" + uLabel);
        assertThat(dns.queries("MX", aLabel)).as("the MX looked up by the A-label %s", aLabel).isPositive();
    }

    @Test
    void aUtf8LocalPartAndTheDsnParametersShouldReachAnMxOfferingSmtpUtf8AndDsn() throws Exception {
        dns.mx("utf8-mx.example", 10, MX2);

        try (SmtpClient client = client()) {
            client.ehlo();
            client.command("MAIL FROM:<jürgen@example.org> SMTPUTF8 RET=HDRS ENVID=mx-env-1").expect(250);
            client.command("RCPT TO:<jörg@utf8-mx.example> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;j\\x{F6}rg+40utf8-mx.example").expect(250);
            client.command("RCPT TO:<ascii@utf8-mx.example> NOTIFY=DELAY ORCPT=rfc822;original+40utf8-mx.example").expect(250);
            assertThat(client.data(message("utf8-1")).code).isEqualTo(250);
        }

        SmtpSink.Received received = awaitMail(mx2, withId("utf8-1"));
        assertThat(received.mailCommand).startsWith("MAIL FROM:<jürgen@example.org> SMTPUTF8").contains(" RET=HDRS", " ENVID=mx-env-1");
        assertThat(received.rcptTo).containsExactlyInAnyOrder("jörg@utf8-mx.example", "ascii@utf8-mx.example");
        assertThat(received.rcptCommand("jörg@utf8-mx.example"))
            .isEqualTo("RCPT TO:<jörg@utf8-mx.example> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;j\\x{F6}rg+40utf8-mx.example");
        assertThat(received.rcptCommand("ascii@utf8-mx.example"))
            .isEqualTo("RCPT TO:<ascii@utf8-mx.example> NOTIFY=DELAY ORCPT=rfc822;original+40utf8-mx.example");
    }

    /** The issue's "done when": 200 mails to one MX host over at most 10 connections, each mail there once. */
    @Test
    void twoHundredMailsToOneMxHostShouldGoOverAtMostTenConnections() throws Exception {
        dns.mx("bulk.example", 10, MX1).mx("bulk.example", 20, MX2);
        int connectionsBefore = mx1.connectionCount();
        int handshakesBefore = mx1.tlsHandshakeCount();

        List<String> ids = new ArrayList<>();
        for (int connection = 0; connection < 4; connection++) {
            try (SmtpClient client = client()) {
                client.ehlo();
                for (int i = 0; i < 50; i++) {
                    String id = "bulk-" + connection + "-" + i;
                    assertThat(client.transaction(SENDER, "", List.of("user" + i + "@bulk.example"), message(id)).code).isEqualTo(250);
                    ids.add(id);
                }
            }
        }

        Instant deadline = Instant.now().plusSeconds(60);
        while (delivered(mx1, ids) < ids.size() && Instant.now().isBefore(deadline)) {
            Pause.sleep(100);
        }
        List<String> atMx1 = mx1.received().stream().map(mail -> mail.header(Scenario.SCENARIO_HEADER))
            .filter(ids::contains).collect(Collectors.toList());
        assertThat(atMx1).as("each of the 200 mails at the first MX once").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(mx2.received()).as("none at the second").noneMatch(mail -> ids.contains(mail.header(Scenario.SCENARIO_HEADER)));
        assertThat(mx1.connectionCount() - connectionsBefore).as("connections to the MX host for 200 mails").isBetween(1, MAX_CONNECTIONS);
        assertThat(mx1.tlsHandshakeCount() - handshakesBefore).as("STARTTLS per connection, not per mail").isLessThanOrEqualTo(MAX_CONNECTIONS);
        assertThat(atMx1.stream().map(id -> awaitMail(mx1, withId(id)).tls)).as("each over TLS").doesNotContain(SmtpSink.CLEAR_TEXT);
    }

    private static long delivered(SmtpSink sink, List<String> ids) {
        return sink.received().stream().filter(mail -> ids.contains(mail.header(Scenario.SCENARIO_HEADER))).count();
    }

    private SmtpClient client() throws IOException {
        return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty());
    }

    private void send(String id, String sender, String mailParameters, String recipient) throws IOException {
        try (SmtpClient client = client()) {
            assertThat(client.send(sender, mailParameters, List.of(recipient), message(id)).code).isEqualTo(250);
        }
    }

    private static String message(String id) {
        return "From: Sender <" + SENDER + ">\r\nSubject: " + id + "\r\n" + Scenario.SCENARIO_HEADER + ": " + id
            + "\r\n\r\nA mail for an MX host.\r\n";
    }

    private static Predicate<SmtpSink.Received> withId(String id) {
        return mail -> id.equals(mail.header(Scenario.SCENARIO_HEADER));
    }

    /** The first mail at {@code sink} that {@code which} picks, waited for up to a minute. */
    private static SmtpSink.Received awaitMail(SmtpSink sink, Predicate<SmtpSink.Received> which) {
        return await("a mail at the MX host").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> sink.received().stream().filter(which).findFirst(), Optional::isPresent)
            .orElseThrow();
    }
}
