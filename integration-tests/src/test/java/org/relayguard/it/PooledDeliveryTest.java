package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;

/**
 * The hardened profile as shipped delivers to the Microsoft 365 smart host with PooledDelivery: many mails per
 * connection, and nothing lost or doubled when the smart host says {@code 421} or drops the
 * connection in the middle of a message, and a recipient it refuses is bounced alone. On a real
 * James, to a real SMTP server over verified TLS, counted at that server.
 */
class PooledDeliveryTest {
    private static final Duration DELIVERY = Duration.ofMinutes(3);
    /** The shipped maxConnectionsPerHost. */
    private static final int MAX_CONNECTIONS = 8;

    @Test
    void aThousandMailsToOneSmartHostGoOverAHandfulOfConnectionsEachDeliveredOnce() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            send(james, "bulk", 1000);

            SmtpSink smartHost = hops.m365();
            await().atMost(DELIVERY).until(() -> smartHost.count() >= 1000);
            assertThat(copiesById(smartHost)).hasSize(1000).allSatisfy((id, copies) -> assertThat(copies).as(id).isEqualTo(1));
            assertThat(smartHost.received()).allSatisfy(mail -> assertThat(mail.tls).startsWith("TLSv1."));
            assertThat(smartHost.connectionCount()).as("connections for 1000 mails").isBetween(1, MAX_CONNECTIONS);
            assertThat(smartHost.tlsHandshakeCount()).as("one TLS handshake per connection").isEqualTo(smartHost.connectionCount());
            assertThat(hops.internet().count()).as("nothing on the other route").isZero();
        }
    }

    @Test
    void a421AndAConnectionDroppedInTheMiddleOfAMessageLoseNothing() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            SmtpSink smartHost = hops.m365();
            send(james, "before", 20);
            await().atMost(DELIVERY).until(() -> smartHost.count() >= 20);

            // Open connections are waiting in the pool: the next two transactions fail on them.
            smartHost.failNext(SmtpSink.Fault.SERVICE_NOT_AVAILABLE);
            smartHost.failNext(SmtpSink.Fault.DROP_IN_DATA);
            send(james, "after", 20);

            await().atMost(DELIVERY).until(() -> smartHost.count() >= 40);
            Map<String, Long> copies = copiesById(smartHost);
            assertThat(copies).as("every mail, each once (a message cut off before its dot is not received)")
                .hasSize(40).allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1));
            assertThat(smartHost.sessions()).as("the connection that said 421 and the one dropped mid-DATA")
                .filteredOn(SmtpSink.Session::ended).hasSizeGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aPermanent550ForOneOfTwoRecipientsBouncesThatOneAndDeliversTheOther() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            SmtpSink smartHost = hops.m365();
            smartHost.rejectRecipient("gone@contoso.com");
            try (SmtpClient client = TransportMail.INBOUND.connect(james)) {
                SmtpClient.Reply reply = client.send("b@example.org", List.of("alice@contoso.com", "gone@contoso.com"),
                    TransportMail.INBOUND.message("partial"));
                assertThat(reply.code).isEqualTo(250);
            }

            await().atMost(DELIVERY).until(() -> smartHost.count() >= 1 && hops.internet().count() >= 1);
            assertThat(smartHost.received()).singleElement().satisfies(mail -> {
                assertThat(mail.rcptTo).containsExactly("alice@contoso.com");
                assertThat(mail.header(TransportMail.ID_HEADER)).isEqualTo("partial");
            });
            assertThat(hops.internet().received()).as("the bounce, to the sender").singleElement().satisfies(bounce -> {
                assertThat(bounce.mailFrom).as("null sender").isEmpty();
                assertThat(bounce.rcptTo).containsExactly("b@example.org");
                assertThat(bounce.message).contains("gone@contoso.com").doesNotContain("Final-Recipient: rfc822; alice@contoso.com");
                assertThat(bounce.message).containsIgnoringCase("multipart/report").contains("550");
            });
        }
    }

    /** Internet mail for our users, over one connection to James. */
    private static void send(JamesServer james, String prefix, int count) throws Exception {
        try (SmtpClient client = TransportMail.INBOUND.connect(james)) {
            client.ehlo();
            for (int i = 0; i < count; i++) {
                String id = prefix + "-" + i;
                SmtpClient.Reply reply = client.transaction(TransportMail.INBOUND.sender, "", List.of(TransportMail.INBOUND.recipient),
                    TransportMail.INBOUND.message(id));
                assertThat(reply.code).as(id).isEqualTo(250);
            }
        }
    }

    private static Map<String, Long> copiesById(SmtpSink sink) {
        return sink.received().stream()
            .collect(Collectors.groupingBy(mail -> mail.header(TransportMail.ID_HEADER), Collectors.counting()));
    }
}
