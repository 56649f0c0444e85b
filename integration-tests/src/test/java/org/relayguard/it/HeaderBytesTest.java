package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.process.Pause;

/**
 * 8-bit header bytes on a real Relay Guard server from the shipped configuration (hardened, audit):
 * raw UTF-8 header fields (RFC 6532: a {@code Subject:}, display names, addresses in {@code From:}
 * and {@code To:}) sent with SMTPUTF8, and Latin-1 bytes (not UTF-8, as in much real mail) sent
 * without it, reach the next hop of either route byte for byte, after the one {@code Received}
 * field the gateway puts in front. The shipped delivery ({@code PooledDelivery}) on both routes,
 * and James's {@code RemoteDelivery} on both routes in a second server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HeaderBytesTest {
    /** The one field the gateway adds: {@code Received:} and its folded lines, first. */
    private static final String RECEIVED_FIELD = "Received: [^\r\n]*(\r\n[ \t][^\r\n]*)*\r\n";

    /** The MIME fields of a UTF-8 text body. */
    private static final String UTF8_TEXT = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n";

    private NextHops hops;
    private JamesServer james;

    @BeforeAll
    void startGateway() throws Exception {
        hops = NextHops.start();
        hops.m365().offerSmtpUtf8(true);
        james = JamesServer.builder().nextHops(hops).start();
    }

    @AfterAll
    void stopGateway() {
        james.close();
        hops.close();
    }

    /** A mail from our tenant to the internet in raw UTF-8 header fields: display names, addresses, subject, a folded field. */
    private static byte[] utf8Outbound(String id) {
        return utf8("From: Jürgen Müller <jürgen@contoso.com>\r\n"
            + "To: Zoë Ångström <zoë@bücher.example>\r\n"
            + "Subject: Grüße aus Köln – 日本語の件名 " + id + "\r\n"
            + idFields(id)
            + "X-OriginatorOrg: contoso.com\r\n"
            + "Comments: δοκιμή,\r\n\tπαράδειγμα\r\n"
            + UTF8_TEXT
            + "\r\nGrüße, Jürgen\r\n");
    }

    /** A mail from the internet for one of our users, its From: address in UTF-8 on both sides of the @. */
    private static byte[] utf8Inbound(String id) {
        return utf8("From: Δημήτρης Παπαδόπουλος <δημήτρης@παράδειγμα.example>\r\n"
            + "To: δοκιμή@contoso.com\r\n"
            + "Subject: Καλημέρα " + id + "\r\n"
            + idFields(id)
            + UTF8_TEXT
            + "\r\nGood morning.\r\n");
    }

    /** Header bytes that are Latin-1 (each of é, ü, ß is one byte above 127: no UTF-8), a mailer's unencoded header; no MIME fields. */
    private static byte[] latin1(String id, String from, String to, boolean m365) {
        return ("From: J\u00fcrgen M\u00fcller <" + from + ">\r\n"
            + "To: Ren\u00e9e <" + to + ">\r\n"
            + "Subject: Gr\u00fc\u00dfe \u00e0 Paris " + id + "\r\n"
            + idFields(id)
            + (m365 ? "X-OriginatorOrg: contoso.com\r\n" : "")
            + "X-Comment: caf\u00e9\r\n cr\u00e8me br\u00fbl\u00e9e\r\n"
            + "\r\nplain body\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The Message-ID and the scenario field that finds the mail again at a next hop. */
    private static String idFields(String id) {
        return "Message-ID: <" + id + "@relayguard.test>\r\n" + Scenario.SCENARIO_HEADER + ": " + id + "\r\n";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private SmtpClient fromExchangeOnline(JamesServer server) throws IOException {
        return SmtpClient.connect(server.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty());
    }

    private SmtpClient fromTheInternet(JamesServer server) throws IOException {
        return SmtpClient.connect(server.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty());
    }

    private static void send(SmtpClient client, String sender, String parameters, String recipient, byte[] message) throws IOException {
        try (client) {
            assertThat(client.send(sender, parameters, List.of(recipient), message).code).isEqualTo(250);
        }
    }

    /** The one copy of the mail with this scenario id at the sink, waiting up to 60 s. */
    private static SmtpSink.Received arrived(SmtpSink sink, String id) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            List<SmtpSink.Received> copies = sink.received();
            for (SmtpSink.Received copy : copies) {
                if (copy.header(Scenario.SCENARIO_HEADER).equals(id)) {
                    return copy;
                }
            }
            Pause.sleep(200);
        }
        throw new AssertionError("mail " + id + " did not arrive; the sink has " + sink.count());
    }

    /**
     * What arrived is what was sent, byte for byte, behind the gateway's {@code Received} field
     * (compared as ISO-8859-1 text, one char per byte, so that a failure shows the bytes).
     */
    static void assertSameBytesBehindReceived(byte[] sent, byte[] arrived) {
        String expected = new String(sent, StandardCharsets.ISO_8859_1);
        String actual = new String(arrived, StandardCharsets.ISO_8859_1);
        assertThat(actual).as("the message at the next hop, one char per byte").endsWith(expected);
        assertThat(actual.substring(0, actual.length() - expected.length())).as("what the gateway put in front").matches(RECEIVED_FIELD);
    }

    @Test
    void utf8HeaderFieldsShouldReachTheInternetHopByteForByte() throws Exception {
        byte[] sent = utf8Outbound("utf8-out");
        send(fromExchangeOnline(james), "a@contoso.com", "SMTPUTF8", Scenario.RECIPIENT, sent);

        assertSameBytesBehindReceived(sent, arrived(hops.internet(), "utf8-out").bytes());
    }

    @Test
    void utf8HeaderFieldsShouldReachTheM365HopByteForByte() throws Exception {
        byte[] sent = utf8Inbound("utf8-in");
        send(fromTheInternet(james), "δημήτρης@παράδειγμα.example", "SMTPUTF8", "δοκιμή@contoso.com", sent);

        SmtpSink.Received received = arrived(hops.m365(), "utf8-in");
        // Its only octets above 127 are in the header: 8-bit all the same (James's writer had made them '?').
        assertThat(received.mailCommand).startsWith("MAIL FROM:<δημήτρης@παράδειγμα.example> SMTPUTF8").contains(" BODY=8BITMIME");
        assertSameBytesBehindReceived(sent, received.bytes());
    }

    @Test
    void latin1HeaderBytesShouldReachBothHopsUnchanged() throws Exception {
        byte[] out = latin1("latin1-out", "a@contoso.com", Scenario.RECIPIENT, true);
        byte[] in = latin1("latin1-in", "b@example.org", "user@contoso.com", false);
        send(fromExchangeOnline(james), "a@contoso.com", "", Scenario.RECIPIENT, out);
        send(fromTheInternet(james), "b@example.org", "", "user@contoso.com", in);

        assertSameBytesBehindReceived(out, arrived(hops.internet(), "latin1-out").bytes());
        assertSameBytesBehindReceived(in, arrived(hops.m365(), "latin1-in").bytes());
    }

    /** Audit mode: a mail from a foreign tenant is quarantined and relayed; the quarantine's copy keeps the header bytes too (a release sends that copy). */
    @Test
    void theQuarantineShouldKeepHeaderBytesAsReceived() throws Exception {
        byte[] utf8 = utf8(new String(utf8Outbound("quarantined-utf8"), StandardCharsets.UTF_8)
            .replace("X-OriginatorOrg: contoso.com", "X-OriginatorOrg: evil.onmicrosoft.com"));
        byte[] latin1 = new String(latin1("quarantined-latin1", "a@contoso.com", Scenario.RECIPIENT, true), StandardCharsets.ISO_8859_1)
            .replace("X-OriginatorOrg: contoso.com", "X-OriginatorOrg: evil.onmicrosoft.com").getBytes(StandardCharsets.ISO_8859_1);
        send(fromExchangeOnline(james), "a@contoso.com", "SMTPUTF8", Scenario.RECIPIENT, utf8);
        send(fromExchangeOnline(james), "a@contoso.com", "", Scenario.RECIPIENT, latin1);

        assertThat(quarantined("quarantined-utf8")).contains(new String(utf8, StandardCharsets.ISO_8859_1));
        assertThat(quarantined("quarantined-latin1")).contains(new String(latin1, StandardCharsets.ISO_8859_1));
        assertSameBytesBehindReceived(utf8, arrived(hops.internet(), "quarantined-utf8").bytes());
        assertSameBytesBehindReceived(latin1, arrived(hops.internet(), "quarantined-latin1").bytes());
    }

    /** The quarantine file (James's file repository) holding the mail with this scenario id, one char per byte. */
    private String quarantined(String id) throws IOException {
        Instant deadline = Instant.now().plusSeconds(30);
        do {
            try (Stream<Path> files = Files.list(james.root().resolve(JamesServer.QUARANTINE))) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String content = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                    if (file.getFileName().toString().endsWith(".FileStreamStore") && content.contains(Scenario.SCENARIO_HEADER + ": " + id + "\r\n")) {
                        return content;
                    }
                }
            }
            Pause.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("no quarantine file holds " + id);
    }

    /** JVM-wide, javax.mail would read header lines as UTF-8: every Latin-1 header byte would be relayed as U+FFFD. */
    @Test
    void aJvmWideAllowUtf8ShouldStopJamesNamingTheProperty() throws Exception {
        try (JamesServer refused = JamesServer.builder().jvmArgument("-Dmail.mime.allowutf8=true").prepare()) {
            assertThat(refused.startExpectingFailure()).contains("the system property mail.mime.allowutf8 is set");
        }
    }

    @Test
    void headerBytesShouldReachBothHopsUnchangedThroughJamesRemoteDelivery() throws Exception {
        try (NextHops remoteHops = NextHops.start();
             JamesServer remote = JamesServer.builder().nextHops(remoteHops)
                 .env("RELAYGUARD_M365_DELIVERY", "RemoteDelivery").env("RELAYGUARD_INTERNET_DELIVERY", "RemoteDelivery").start()) {
            // RemoteDelivery writes no SMTPUTF8: raw UTF-8 header fields with ASCII addresses, and Latin-1 ones.
            byte[] utf8 = utf8Outbound("remote-utf8-out");
            byte[] out = latin1("remote-latin1-out", "a@contoso.com", Scenario.RECIPIENT, true);
            byte[] in = latin1("remote-latin1-in", "b@example.org", "user@contoso.com", false);
            send(fromExchangeOnline(remote), "a@contoso.com", "", Scenario.RECIPIENT, utf8);
            send(fromExchangeOnline(remote), "a@contoso.com", "", Scenario.RECIPIENT, out);
            send(fromTheInternet(remote), "b@example.org", "", "user@contoso.com", in);

            assertSameBytesBehindReceived(utf8, arrived(remoteHops.internet(), "remote-utf8-out").bytes());
            assertSameBytesBehindReceived(out, arrived(remoteHops.internet(), "remote-latin1-out").bytes());
            assertSameBytesBehindReceived(in, arrived(remoteHops.m365(), "remote-latin1-in").bytes());
        }
    }
}
