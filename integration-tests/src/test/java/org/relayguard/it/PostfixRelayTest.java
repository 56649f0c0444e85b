package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.load.MailKind;
import org.relayguard.tools.load.PostfixRelay;
import org.relayguard.tools.process.Ports;

/**
 * The Postfix that {@code ./perf.sh peer} measures the gateway against is the relay it claims to
 * be: mail for our domains reaches the Microsoft 365 smart host, other mail the internet next hop,
 * and its one {@code header_checks} rule warns about another tenant's X-OriginatorOrg and about
 * nothing else. Postfix lives in a directory of its own under /tmp, whatever the checkout's path
 * (its sockets' paths must stay under 108 bytes), and nothing of it is left behind. Needs
 * Debian's postfix and postfix-pcre and root; skipped without them.
 */
class PostfixRelayTest {

    @BeforeEach
    void postfixAndRoot() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/postfix")) && Files.exists(Path.of("/usr/lib/postfix/postfix-pcre.so")),
            "Postfix is not installed (apt-get install postfix postfix-pcre)");
        assumeTrue("root".equals(System.getProperty("user.name")), "postfix start needs root");
    }

    @Test
    void postfixRelaysEachMailOnItsRouteAndWarnsAboutForeignTenantsOnly() throws Exception {
        Path directory;

        // Tuned, as ./perf.sh peer runs it by default: Postfix starts with tlsproxy and relays over it.
        try (NextHops hops = NextHops.start();
             PostfixRelay postfix = PostfixRelay.start(Ports.free(), hops, PostfixRelay.Tuning.TUNED);
             SmtpClient m365 = SmtpClient.connect(postfix.port(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty());
             SmtpClient internet = SmtpClient.connect(postfix.port(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty())) {
            directory = postfix.directory();
            assertThat(directory).startsWith(Path.of("/tmp"));
            m365.ehlo();
            internet.ehlo();
            send(m365, MailKind.OUR_TENANT, "own-default", 0);
            send(m365, MailKind.OUR_TENANT, "own-onmicrosoft", 1);
            send(m365, MailKind.FOREIGN_TENANT, "foreign", 0);
            send(internet, MailKind.INTERNET, "inbound", 0);

            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (hops.internet().count() + hops.m365().count() < 4 && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(ids(hops.internet())).containsExactlyInAnyOrder("own-default", "own-onmicrosoft", "foreign");
            assertThat(ids(hops.m365())).containsExactly("inbound");
            // TLS where the gateway has it: every mail over STARTTLS to both next hops, the smart
            // host's certificate verified (Postfix says "Verified"), the internet one's not checked.
            assertThat(hops.m365().received()).allSatisfy(received -> assertThat(received.tls).startsWith("TLSv1."));
            assertThat(hops.internet().received()).allSatisfy(received -> assertThat(received.tls).startsWith("TLSv1."));
            assertThat(hops.m365().tlsHandshakeCount()).isPositive();
            assertThat(hops.internet().tlsHandshakeCount()).isPositive();

            // Postfix logs through postlogd: cleanup's warning is written before the delivery that follows it.
            while (log(postfix, "status=sent").size() < 4 && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(log(postfix, "Verified TLS connection established to 127.0.0.1[127.0.0.1]:" + hops.m365Port())).isNotEmpty();
            assertThat(log(postfix, "TLS connection established to 127.0.0.1[127.0.0.1]:" + hops.internetPort())).isNotEmpty();
            List<String> warnings = log(postfix, "warning: header X-OriginatorOrg");
            assertThat(warnings).singleElement().asString()
                .contains("X-OriginatorOrg: fabrikam.onmicrosoft.com")
                .endsWith(": foreign tenant");
        }
        assertThat(directory).doesNotExist();
    }

    @Test
    void postfixShouldNeverSendToTheSmartHostInClearTextNorToOneItCannotVerify() throws Exception {
        try (NextHops hops = NextHops.start();
             PostfixRelay postfix = PostfixRelay.start(Ports.free(), hops);
             SmtpClient internet = SmtpClient.connect(postfix.port(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty())) {
            internet.ehlo();
            // A smart host with a certificate from a CA Postfix is not told to trust, then one without STARTTLS.
            SmtpSink untrusted = hops.replaceM365(Optional.of(TestPki.internetHop()));
            send(internet, MailKind.INTERNET, "inbound-untrusted", 0);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
            while (untrusted.sessions().stream().noneMatch(session -> session.tlsFailure().isPresent() || session.ended())
                && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(untrusted.sessions()).isNotEmpty();
            assertThat(untrusted.received()).isEmpty();

            SmtpSink clear = hops.replaceM365(Optional.empty());
            send(internet, MailKind.INTERNET, "inbound-clear", 1);
            deadline = Instant.now().plus(Duration.ofMinutes(1));
            while (clear.sessions().stream().noneMatch(SmtpSink.Session::ended) && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            assertThat(clear.sessions()).isNotEmpty().allSatisfy(session -> assertThat(session.commandsInClear()).doesNotContain("MAIL"));
            assertThat(clear.received()).isEmpty();
        }
    }

    @Test
    void startShouldSayWhyWhenPostfixsSocketsWouldBeTooLong(@TempDir Path temp) throws Exception {
        Path tooLong = temp.resolve("x".repeat(120));
        try (NextHops hops = NextHops.start()) {
            assertThatThrownBy(() -> PostfixRelay.start(tooLong, Ports.free(), hops, PostfixRelay.Tuning.AS_SHIPPED).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(tooLong.resolve("queue/private").toString())
                .hasMessageContaining("108");
        }
    }

    private static void send(SmtpClient client, MailKind kind, String id, int n) throws Exception {
        SmtpClient.Reply reply = client.transaction(kind.envelopeSender(n), kind.recipients(n), kind.message(id, n, true));
        assertThat(reply.code).as(id + ": " + reply).isEqualTo(250);
    }

    private static List<String> log(PostfixRelay postfix, String text) throws Exception {
        return Files.readAllLines(postfix.directory().resolve("maillog"), StandardCharsets.UTF_8).stream()
            .filter(line -> line.contains(text))
            .collect(Collectors.toList());
    }

    private static List<String> ids(SmtpSink sink) {
        return sink.received().stream().map(received -> received.header(MailKind.ID_HEADER)).collect(Collectors.toList());
    }
}
