package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.postfix.PostfixInstance;
import org.relayguard.tools.postfix.PostfixNextHop;
import org.relayguard.tools.postfix.PostfixSender;
import org.relayguard.tools.postfix.QueuedMail;
import org.relayguard.tools.postfix.QueuedMail.Notify;

/**
 * The Postfix harness of {@link PostfixTransparencyTest} reads what it claims to, shown without a
 * gateway in between: a Postfix sender relaying straight to a Postfix next hop, whose queue file
 * must hold the DSN ENVID, RET, each recipient's NOTIFY and ORCPT, the SMTPUTF8 request and the
 * message as they were submitted, and whose log the SIZE and BODY its client sent; and a next hop
 * without DSN makes the sender write a "relayed" DSN into its own mailbox, where the harness finds it.
 */
class PostfixHarnessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @BeforeEach
    void postfixAndRoot() {
        assumeTrue(PostfixInstance.isInstalled(), "Postfix is not installed (apt-get install postfix)");
        assumeTrue("root".equals(System.getProperty("user.name")), "postfix start needs root");
    }

    @Test
    void harnessShouldReadDsnSmtputf8SizeAndBodyAsThePostfixSenderHandedThemOver() throws Exception {
        try (PostfixNextHop hop = PostfixNextHop.start(PostfixNextHop.Options.named("hop.relayguard.test", Optional.of(TestPki.m365SmartHost())));
             PostfixSender sender = PostfixSender.start(hop.port(), List.of("a@contoso.com"))) {
            String message = "From: a@contoso.com\r\nTo: user1@contoso.com\r\nSubject: caf\u00e9\r\n"
                + "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <harness-dsn@relayguard.test>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Gr\u00fc\u00dfe, caf\u00e9.\r\n.a line with a leading dot\r\n";
            sender.submit("a@contoso.com", "RET=HDRS ENVID=env-harness BODY=8BITMIME", List.of(
                new String[] {"user1@contoso.com", "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;orig1@contoso.com"},
                new String[] {"user2@contoso.com", "NOTIFY=FAILURE"}), message).expect(250);
            sender.submitTo("\u00fcser@contoso.com", "SMTPUTF8", List.of("\u00fcnicode@b\u00fccher.example"),
                "From: \u00fcser@contoso.com\r\nSubject: utf8\r\nMessage-ID: <harness-utf8@relayguard.test>\r\n\r\nUTF-8.\r\n").expect(250);

            QueuedMail dsn = hop.awaitMail("harness-dsn", mail -> mail.text().contains("<harness-dsn@"), WAIT);
            assertThat(dsn.queueName).isEqualTo("hold");
            assertThat(dsn.sender).isEqualTo("a@contoso.com");
            assertThat(dsn.envelopeId).contains("env-harness");
            assertThat(dsn.ret).contains("HDRS");
            assertThat(dsn.recipientAddresses()).containsExactly("user1@contoso.com", "user2@contoso.com");
            assertThat(dsn.recipient("user1@contoso.com").notify).containsExactly(Notify.SUCCESS, Notify.DELAY);
            assertThat(dsn.recipient("user1@contoso.com").orcpt).contains("rfc822;orig1@contoso.com");
            assertThat(dsn.recipient("user2@contoso.com").notify).containsExactly(Notify.FAILURE);
            assertThat(dsn.smtputf8).isFalse();
            assertThat(new String(dsn.message, StandardCharsets.UTF_8))
                .as("the message, Received: headers aside, as submitted (LF line ends in the queue file)")
                .endsWith(message.replace("\r\n", "\n"));
            assertThat(hop.smtpdCommands()).as("the hop's log of what it was sent")
                .anySatisfy(command -> assertThat(command).matches("MAIL FROM:<a@contoso\\.com> SIZE=[0-9]+ BODY=8BITMIME ENVID=env-harness RET=HDRS"))
                .contains("RCPT TO:<user1@contoso.com> ORCPT=rfc822;orig1@contoso.com NOTIFY=SUCCESS,DELAY");

            QueuedMail utf8 = hop.awaitMail("harness-utf8", mail -> mail.text().contains("<harness-utf8@"), WAIT);
            assertThat(utf8.smtputf8).isTrue();
            assertThat(utf8.sender).isEqualTo("\u00fcser@contoso.com");
            assertThat(utf8.recipientAddresses()).containsExactly("\u00fcnicode@b\u00fccher.example");
            assertThat(sender.ehloKeywordsOf(hop.port())).as("the EHLO the hop offered, as the sender logged it")
                .contains("PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", "STARTTLS", "ENHANCEDSTATUSCODES");
        }
    }

    @Test
    void harnessShouldFindTheRelayedDsnTheSenderWritesWhenTheNextHopHasNoDsn() throws Exception {
        try (PostfixNextHop hop = PostfixNextHop.start(PostfixNextHop.Options.named("nodsn.relayguard.test", Optional.empty()).withoutDsn());
             PostfixSender sender = PostfixSender.start(hop.port(), List.of("a@contoso.com"))) {
            sender.submit("a@contoso.com", "ENVID=env-relayed", List.<String[]>of(new String[] {"friend@external.example", "NOTIFY=SUCCESS"}),
                "From: a@contoso.com\r\nSubject: relayed\r\nMessage-ID: <harness-relayed@relayguard.test>\r\n\r\nHi.\r\n").expect(250);

            hop.awaitMail("harness-relayed", mail -> mail.text().contains("<harness-relayed@"), WAIT);
            QueuedMail notice = sender.awaitMail("the relayed DSN", mail -> mail.sender.isEmpty() && mail.text().contains("env-relayed"), WAIT);
            assertThat(notice.recipientAddresses()).containsExactly("a@contoso.com");
            assertThat(notice.text()).contains("Action: relayed").contains("Original-Envelope-Id: env-relayed");
            assertThat(sender.ehloKeywordsOf(hop.port())).contains("SMTPUTF8").doesNotContain("DSN");
        }
    }
}
