package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.cluster.HaProxy;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.ScratchDirectories;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.postfix.PostfixInstance;
import org.relayguard.tools.postfix.PostfixNextHop;
import org.relayguard.tools.postfix.PostfixSender;
import org.relayguard.tools.postfix.QueuedMail;
import org.relayguard.tools.postfix.QueuedMail.Notify;
import org.relayguard.tools.process.Ports;

/**
 * Issue 31, "a transparent relay", with real clients no one here wrote: Debian's Postfix as the
 * sending MTA (its smtp client uses SIZE, BODY=8BITMIME, DSN, SMTPUTF8 and STARTTLS when the server
 * offers them) in front of the gateway, and Postfix as both next hops behind it (each its own
 * identity: the Microsoft 365 smart host with the smart host certificate and DSN, the internet
 * gateway with its own certificate and without DSN). What arrived is read from the next hops'
 * queue files ({@code postcat}), what was said from the Postfix logs.
 *
 * <p>The hardened profile in enforce mode is the gateway of most tests, reached directly and through
 * HAProxy on the PROXY listener (Postfix's smtp client cannot send a PROXY header itself); one test
 * boots the proofpoint profile in audit mode. The gateway's size limit is set low
 * ({@value #SIZE_LIMIT}) so that a mail over it stays small.</p>
 *
 * <p>Tests of what issue 31's other parts add (CHUNKING, SMTPUTF8, DSN, SIZE/BODY on outbound MAIL)
 * are written against the issue's wording and fail until those parts are in.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostfixTransparencyTest {
    private static final String SIZE_LIMIT = "100K";
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Exchange Online's sender, and the internet's. */
    private static final String EO_SENDER = "a@contoso.com";
    private static final String INTERNET_SENDER = "b@example.org";

    private PostfixNextHop m365;
    private PostfixNextHop internet;
    private JamesServer james;
    private HaProxy haProxy;
    private PostfixSender direct;
    private PostfixSender proxied;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(PostfixInstance.isInstalled(), "Postfix is not installed (apt-get install postfix)");
        assumeTrue("root".equals(System.getProperty("user.name")), "postfix start needs root");
        m365 = PostfixNextHop.start(PostfixNextHop.Options.named("smarthost.m365.test", Optional.of(TestPki.m365SmartHost())));
        internet = PostfixNextHop.start(PostfixNextHop.Options.named(TestPki.INTERNET_HOP_NAME, Optional.of(TestPki.internetHop())).withoutDsn());
        james = JamesServer.builder().nextHops(m365.port(), internet.port()).enforce(true)
            .env("RELAYGUARD_SMTP_MAX_MESSAGE_SIZE", SIZE_LIMIT).start();
        Path haProxyDirectory = ScratchDirectories.create("relayguard-haproxy-");
        haProxy = HaProxy.start(haProxyDirectory, Ports.free(), Ports.free(),
            List.of(new HaProxy.Node(james.proxySmtpPort(), james.webAdminPort())), List.of());
        haProxy.awaitStatus("node1", "UP", Duration.ofSeconds(60));
        direct = PostfixSender.start(james.smtpPort(), List.of(EO_SENDER, INTERNET_SENDER));
        proxied = PostfixSender.start(haProxy.port(), List.of(EO_SENDER, INTERNET_SENDER));
    }

    @AfterAll
    void stop() {
        for (AutoCloseable server : new AutoCloseable[] {direct, proxied, haProxy, james, internet, m365}) {
            try {
                if (server != null) {
                    server.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + server + ": " + e);
            }
        }
    }

    @Test
    void plainMailShouldArriveByteForByteOnBothRoutes() throws Exception {
        String outbound = message(EO_SENDER, "friend@external.example", "plain-outbound", "Hello from Exchange Online.\r\n");
        String inbound = message(INTERNET_SENDER, "user@contoso.com", "plain-inbound", "Hello from the internet.\r\n.leading dot\r\n");
        direct.submitTo(EO_SENDER, "", List.of("friend@external.example"), outbound).expect(250);
        direct.submitTo(INTERNET_SENDER, "", List.of("user@contoso.com"), inbound).expect(250);

        assertUnaltered(arrived(internet, "plain-outbound"), outbound);
        assertUnaltered(arrived(m365, "plain-inbound"), inbound);
    }

    @Test
    void eightBitMailShouldArriveByteForByte() throws Exception {
        String message = eightBit("eightbit");
        direct.submitTo(EO_SENDER, "BODY=8BITMIME", List.of("friend@external.example"), message).expect(250);

        assertUnaltered(arrived(internet, "eightbit"), message);
    }

    @Test
    void proxyListenerShouldRelayPostfixMailByteForByteBehindHaproxy() throws Exception {
        String outbound = eightBit("proxied-outbound");
        String inbound = message(INTERNET_SENDER, "user@contoso.com", "proxied-inbound", "Through HAProxy.\r\n");
        proxied.submitTo(EO_SENDER, "BODY=8BITMIME", List.of("friend@external.example"), outbound).expect(250);
        proxied.submitTo(INTERNET_SENDER, "", List.of("user@contoso.com"), inbound).expect(250);

        assertUnaltered(arrived(internet, "proxied-outbound"), outbound);
        assertUnaltered(arrived(m365, "proxied-inbound"), inbound);
    }

    /**
     * Postfix's smtp client never declares a SIZE over the limit the server offered: it bounces such
     * a mail itself, naming the server's limit, before MAIL. The gateway's offered limit is what
     * stops it (a 552 to a declared SIZE= at MAIL is for clients that send one anyway).
     */
    @Test
    void mailOverTheSizeLimitShouldBounceAtTheSendingPostfixWithTheGatewaysLimit() throws Exception {
        StringBuilder body = new StringBuilder();
        while (body.length() < 150 * 1024) {
            body.append("A line of a mail over the gateway's size limit, repeated to make it large enough.\r\n");
        }
        direct.submitTo(EO_SENDER, "", List.of("friend@external.example"), message(EO_SENDER, "friend@external.example", "too-large", body.toString()))
            .expect(250);

        QueuedMail bounce = direct.awaitMail("the bounce of too-large", mail -> mail.sender.isEmpty() && mail.text().contains("<too-large@"), WAIT);
        assertThat(bounce.recipientAddresses()).containsExactly(EO_SENDER);
        assertThat(bounce.text()).contains("Status: 5.3.4")
            .containsPattern("message size [0-9]+ exceeds size limit 102400 of\\s+server 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]");
        assertThat(direct.ehloKeywordsOf(james.smtpPort())).contains("SIZE 102400");
        assertThat(internet.queue()).noneMatch(mail -> mail.text().contains("<too-large@"));
    }

    /** Issue 31, "Done when": the EHLO on both listeners, as the sending Postfix logged it. Awaits CHUNKING, SMTPUTF8, DSN. */
    @Test
    void ehloShouldOfferEveryExtensionOnBothListenersAsPostfixLoggedIt() throws Exception {
        direct.submitTo(INTERNET_SENDER, "", List.of("user@contoso.com"), message(INTERNET_SENDER, "user@contoso.com", "ehlo-direct", "EHLO.\r\n"))
            .expect(250);
        proxied.submitTo(INTERNET_SENDER, "", List.of("user@contoso.com"), message(INTERNET_SENDER, "user@contoso.com", "ehlo-proxied", "EHLO.\r\n"))
            .expect(250);
        arrived(m365, "ehlo-direct");
        arrived(m365, "ehlo-proxied");

        for (List<String> keywords : List.of(direct.ehloKeywordsOf(james.smtpPort()), proxied.ehloKeywordsOf(haProxy.port()))) {
            assertThat(keywords).contains("SIZE 102400", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS", "CHUNKING", "SMTPUTF8",
                "DSN", "XOORG");
        }
    }

    /** Issue 31 item 4: outbound MAIL carries SIZE= and BODY=8BITMIME to a next hop that offers them. Awaits the SIZE/BODY part. */
    @Test
    void outboundMailShouldCarrySizeAndBody8BitMimeToTheNextHop() throws Exception {
        String message = eightBit("size-body");
        direct.submitTo(EO_SENDER, "BODY=8BITMIME", List.of("friend@external.example"), message).expect(250);
        arrived(internet, "size-body");

        assertThat(internet.smtpdCommands()).as("what the gateway said to the internet next hop")
            .anySatisfy(command -> assertThat(command).matches("MAIL FROM:<a@contoso\\.com> SIZE=[0-9]+ BODY=8BITMIME( .*)?"));
    }

    /** Issue 31 item 3: RET, ENVID, and each recipient's NOTIFY and ORCPT reach a next hop that offers DSN. Awaits the DSN part. */
    @Test
    void dsnShouldArrivePerRecipientWithTheSameValuesAtTheNextHop() throws Exception {
        direct.submit(INTERNET_SENDER, "RET=HDRS ENVID=env-dsn-31", List.of(
            new String[] {"user1@contoso.com", "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;orig1@contoso.com"},
            new String[] {"user2@contoso.com", "NOTIFY=FAILURE"}), message(INTERNET_SENDER, "user1@contoso.com", "dsn", "DSN.\r\n")).expect(250);

        QueuedMail mail = arrived(m365, "dsn");
        assertThat(mail.envelopeId).contains("env-dsn-31");
        assertThat(mail.ret).contains("HDRS");
        assertThat(mail.recipientAddresses()).containsExactlyInAnyOrder("user1@contoso.com", "user2@contoso.com");
        assertThat(mail.recipient("user1@contoso.com").notify).containsExactly(Notify.SUCCESS, Notify.DELAY);
        assertThat(mail.recipient("user1@contoso.com").orcpt).contains("rfc822;orig1@contoso.com");
        assertThat(mail.recipient("user2@contoso.com").notify).containsExactly(Notify.FAILURE);
        assertThat(mail.recipient("user2@contoso.com").orcpt).contains("rfc822;user2@contoso.com");
    }

    /**
     * Issue 31 item 3: NOTIFY=SUCCESS to a next hop without DSN brings a "relayed" DSN (RFC 3461
     * §6.2) from the gateway back to the sender, whose mailbox (an Exchange Online user's) is behind
     * the Microsoft 365 route. Awaits the DSN part.
     */
    @Test
    void notifySuccessToAHopWithoutDsnShouldBringARelayedDsnBackToTheSender() throws Exception {
        direct.submit(EO_SENDER, "ENVID=env-relayed-31", List.<String[]>of(new String[] {"friend@external.example", "NOTIFY=SUCCESS,FAILURE"}),
            message(EO_SENDER, "friend@external.example", "relayed", "Tell me when it is relayed.\r\n")).expect(250);
        arrived(internet, "relayed");

        QueuedMail notice = m365.awaitMail("the gateway's relayed DSN", mail -> mail.sender.isEmpty() && mail.text().contains("env-relayed-31"), WAIT);
        assertThat(notice.recipientAddresses()).containsExactly(EO_SENDER);
        assertThat(notice.text()).containsPattern("(?im)^Action: *relayed")
            .containsPattern("(?im)^Original-Envelope-Id: *env-relayed-31")
            .containsPattern("(?im)^Final-Recipient: *rfc822; *friend@external\\.example");
        assertThat(direct.queue()).as("the sending Postfix wrote no notice of its own: the gateway took DSN on")
            .noneMatch(mail -> mail.text().contains("env-relayed-31"));
    }

    /** Issue 31 item 2: UTF-8 addresses with SMTPUTF8 reach a next hop that offers it, on both routes. Awaits the SMTPUTF8 part. */
    @Test
    void smtputf8AddressesShouldArriveWithTheSmtputf8Flag() throws Exception {
        String inboundSender = "b\u00e9r\u00e9nice@example.org";
        String inboundRecipient = "\u00fcser@contoso.com";
        String outboundSender = "\u00e4nne@contoso.com";
        String outboundRecipient = "friend@b\u00fccher.example";
        direct.submitTo(inboundSender, "SMTPUTF8", List.of(inboundRecipient), message(inboundSender, inboundRecipient, "utf8-inbound", "UTF-8.\r\n"))
            .expect(250);
        direct.submitTo(outboundSender, "SMTPUTF8", List.of(outboundRecipient),
            message(outboundSender, outboundRecipient, "utf8-outbound", "UTF-8.\r\n")).expect(250);

        QueuedMail inbound = arrived(m365, "utf8-inbound");
        assertThat(inbound.smtputf8).isTrue();
        assertThat(inbound.sender).isEqualTo(inboundSender);
        assertThat(inbound.recipientAddresses()).containsExactly(inboundRecipient);
        QueuedMail outbound = arrived(internet, "utf8-outbound");
        assertThat(outbound.smtputf8).isTrue();
        assertThat(outbound.sender).isEqualTo(outboundSender);
        assertThat(outbound.recipientAddresses()).containsExactly(outboundRecipient);
    }

    /** The proofpoint profile in audit mode relays the same Postfix mail unaltered (its own gateway and sender, the same next hops). */
    @Test
    void proofpointAuditShouldRelayPlainAnd8BitMailByteForByte() throws Exception {
        try (JamesServer proofpoint = JamesServer.builder().profile(JamesServer.Profile.PROOFPOINT).enforce(false)
                .nextHops(m365.port(), internet.port()).start();
             PostfixSender sender = PostfixSender.start(proofpoint.smtpPort(), List.of(EO_SENDER, INTERNET_SENDER))) {
            String outbound = eightBit("proofpoint-outbound");
            String inbound = message(INTERNET_SENDER, "user@contoso.com", "proofpoint-inbound", "Hello.\r\n");
            sender.submitTo(EO_SENDER, "BODY=8BITMIME", List.of("friend@external.example"), outbound).expect(250);
            sender.submitTo(INTERNET_SENDER, "", List.of("user@contoso.com"), inbound).expect(250);

            assertUnaltered(arrived(internet, "proofpoint-outbound"), outbound);
            assertUnaltered(arrived(m365, "proofpoint-inbound"), inbound);
        }
    }

    private static String message(String from, String to, String id, String body) {
        return "From: " + from + "\r\nTo: " + to + "\r\nSubject: issue 31 " + id + "\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\n"
            + (from.endsWith("@contoso.com") ? "X-OriginatorOrg: contoso.com\r\n" : "")
            + "\r\n" + body;
    }

    private static String eightBit(String id) {
        return "From: a@contoso.com\r\nTo: friend@external.example\r\nSubject: issue 31 " + id + "\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\nX-OriginatorOrg: contoso.com\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Gr\u00fc\u00dfe aus K\u00f6ln, caf\u00e9 cr\u00e8me, \u65e5\u672c\u8a9e.\r\n.a line with a leading dot\r\n";
    }

    private static QueuedMail arrived(PostfixNextHop hop, String id) throws Exception {
        return hop.awaitMail(id + " on " + hop.hostName(), mail -> mail.text().contains("Message-ID: <" + id + "@"), WAIT);
    }

    /**
     * Byte for byte: the next hop's queue file holds the submitted message after nothing but
     * Received: headers (the sending Postfix's, the gateway's, the hop's own); line ends are LF there.
     */
    private static void assertUnaltered(QueuedMail mail, String submitted) {
        String expected = submitted.replace("\r\n", "\n");
        String stored = mail.text();
        assertThat(stored).as("%s as the next hop stored it", mail).endsWith(expected);
        String added = stored.substring(0, stored.length() - expected.length());
        for (String line : added.split("\n")) {
            assertThat(line).as("a line added before the message (only trace headers may be)").matches("(Received: |[ \t]).*");
        }
    }
}
