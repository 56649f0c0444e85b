package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;

/**
 * DSN (RFC 3461) and SIZE (RFC 1870) through a real gateway, as a sender sees them: RET, ENVID,
 * NOTIFY and ORCPT reach both next hops, per recipient, as the client wrote them; a next hop without
 * DSN makes the gateway send the "relayed" notice a NOTIFY=SUCCESS asked for; the gateway's own
 * bounces honour NOTIFY and RET; SIZE goes on to the next hop, and a declared size over the limit
 * is refused at MAIL on both listeners. The next hops record every MAIL and RCPT line.
 */
class DsnTest {
    private static final Duration DELIVERY = Duration.ofMinutes(2);
    /** The shipped maxMessageSize, 150 MiB. */
    private static final long LIMIT = 157286400;

    @Test
    void dsnParametersShouldReachBothRoutesPerRecipientAsWritten() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            send(james, TransportMail.INBOUND, "in", "MAIL FROM:<b@example.org> RET=HDRS ENVID=QQ314159+2Bin BODY=8BITMIME",
                "RCPT TO:<alice@contoso.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice+40contoso.com",
                "RCPT TO:<bob@contoso.com> NOTIFY=never ORCPT=utf-8;b+C3+B6b+40contoso.com",
                "RCPT TO:<carol@contoso.com>");
            // This one by BDAT: its chunks end in the same message hooks that record the DSN parameters.
            sendByBdat(james, TransportMail.OUTBOUND, "out", "MAIL FROM:<a@contoso.com> RET=FULL ENVID=out-1",
                "RCPT TO:<friend@external.example> NOTIFY=DELAY ORCPT=x-unknown;anything",
                "RCPT TO:<other@external.example> NOTIFY=FAILURE");

            await().atMost(DELIVERY).until(() -> hops.m365().count() >= 1 && hops.internet().count() >= 1);
            SmtpSink.Received inbound = hops.m365().received().get(0);
            assertThat(inbound.rcptTo).as("one transaction for all recipients")
                .containsExactlyInAnyOrder("alice@contoso.com", "bob@contoso.com", "carol@contoso.com");
            assertThat(inbound.mailCommand).contains(" RET=HDRS", " ENVID=QQ314159+2Bin", " SIZE=", " BODY=8BITMIME");
            assertThat(inbound.rcptCommand("alice@contoso.com")).endsWith(" NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice+40contoso.com");
            assertThat(inbound.rcptCommand("bob@contoso.com")).endsWith(" NOTIFY=NEVER ORCPT=utf-8;b+C3+B6b+40contoso.com");
            assertThat(inbound.rcptCommand("carol@contoso.com")).isEqualTo("RCPT TO:<carol@contoso.com>");

            SmtpSink.Received outbound = hops.internet().received().get(0);
            assertThat(outbound.mailCommand).contains(" RET=FULL", " ENVID=out-1", " SIZE=").doesNotContain("BODY=");
            assertThat(outbound.rcptCommand("friend@external.example")).endsWith(" NOTIFY=DELAY ORCPT=x-unknown;anything");
            assertThat(outbound.rcptCommand("other@external.example")).endsWith(" NOTIFY=FAILURE");
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> hops.internet().count() == 1 && hops.m365().count() == 1);
        }
    }

    @Test
    void aHopWithoutDsnShouldMeanARelayedNoticeAndOurBouncesShouldHonourNotifyAndRet() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            SmtpSink smartHost = hops.m365().withhold("DSN");
            smartHost.rejectRecipient("never@contoso.com");
            smartHost.rejectRecipient("fail@contoso.com");
            send(james, TransportMail.INBOUND, "secret-body", "MAIL FROM:<b@example.org> RET=HDRS ENVID=env-7",
                "RCPT TO:<alice@contoso.com> NOTIFY=SUCCESS", "RCPT TO:<never@contoso.com> NOTIFY=NEVER",
                "RCPT TO:<fail@contoso.com> NOTIFY=FAILURE");

            await().atMost(DELIVERY).until(() -> smartHost.count() >= 1 && hops.internet().count() >= 2);
            SmtpSink.Received delivered = smartHost.received().get(0);
            assertThat(delivered.rcptTo).containsExactly("alice@contoso.com");
            assertThat(delivered.mailCommand).as("no DSN parameters to a hop without DSN").doesNotContain("RET=", "ENVID=");
            assertThat(delivered.rcptCommand("alice@contoso.com")).isEqualTo("RCPT TO:<alice@contoso.com>");

            List<SmtpSink.Received> notices = hops.internet().received();
            assertThat(notices).allSatisfy(notice -> {
                assertThat(notice.mailFrom).as("null sender").isEmpty();
                assertThat(notice.rcptTo).containsExactly("b@example.org");
                assertThat(notice.message).as("RET=HDRS: headers only").doesNotContain("Transport test secret-body");
                // James's error text is one per mail and may quote the 550 for never@: no status line for it, though.
                assertThat(notice.message).doesNotContain("Final-Recipient: rfc822; never@contoso.com").contains("Original-Envelope-Id: env-7");
            });
            assertThat(notices).filteredOn(notice -> notice.message.contains("Action: relayed")).singleElement()
                .satisfies(notice -> assertThat(notice.message).contains("Final-Recipient: rfc822; alice@contoso.com")
                    .doesNotContain("fail@contoso.com"));
            assertThat(notices).filteredOn(notice -> notice.message.contains("Action: failed")).singleElement()
                .satisfies(notice -> assertThat(notice.message).contains("Final-Recipient: rfc822; fail@contoso.com")
                    .doesNotContain("alice@contoso.com>"));
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> hops.internet().count() == 2);
        }
    }

    @Test
    void aDeclaredSizeOverTheLimitShouldGet552AtMailOnBothListeners() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            for (SmtpClient client : List.of(
                    SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty()),
                    SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.INTERNET_HOST_SOURCE)))) {
                try (client) {
                    String ehlo = client.command("EHLO client.example").expect(250).text;
                    assertThat(ehlo).contains("DSN", "SIZE " + LIMIT, "8BITMIME");
                    for (String size : List.of(String.valueOf(LIMIT + 1), "2147483648", "99999999999999999999")) {
                        SmtpClient.Reply reply = client.command("MAIL FROM:<b@example.org> SIZE=" + size);
                        assertThat(reply.code).as("SIZE=" + size).isEqualTo(552);
                        assertThat(reply.text).contains("5.3.4");
                    }
                    assertThat(client.command("MAIL FROM:<b@example.org> SIZE=12k").code).isEqualTo(501);
                    assertThat(client.command("MAIL FROM:<b@example.org> RET=NONE").code).isEqualTo(501);
                    client.command("MAIL FROM:<b@example.org> SIZE=" + LIMIT).expect(250);
                    assertThat(client.command("RCPT TO:<user@contoso.com> NOTIFY=SUCCESS,NEVER").code).isEqualTo(501);
                    assertThat(client.command("RCPT TO:<user@contoso.com> ORCPT=rfc822;bad=xtext").code).isEqualTo(501);
                    client.command("RSET").expect(250);
                }
            }
        }
    }

    /** One mail of this kind with the MAIL and RCPT commands as written, all accepted, by DATA. */
    private static void send(JamesServer james, TransportMail kind, String id, String mail, String... rcpts) throws Exception {
        send(james, kind, id, false, mail, rcpts);
    }

    /** As {@link #send}, the message in two BDAT chunks, the first ending mid-line. */
    private static void sendByBdat(JamesServer james, TransportMail kind, String id, String mail, String... rcpts) throws Exception {
        send(james, kind, id, true, mail, rcpts);
    }

    private static void send(JamesServer james, TransportMail kind, String id, boolean byBdat, String mail, String... rcpts) throws Exception {
        try (SmtpClient client = kind.connect(james)) {
            client.ehlo();
            client.command(mail).expect(250);
            for (String rcpt : rcpts) {
                client.command(rcpt).expect(250);
            }
            if (!byBdat) {
                assertThat(client.data(kind.message(id)).code).isEqualTo(250);
                return;
            }
            byte[] message = kind.message(id).getBytes(StandardCharsets.UTF_8);
            int half = message.length / 2;
            client.bdat(Arrays.copyOfRange(message, 0, half), false).expect(250);
            assertThat(client.bdat(Arrays.copyOfRange(message, half, message.length), true).code).isEqualTo(250);
        }
    }
}
