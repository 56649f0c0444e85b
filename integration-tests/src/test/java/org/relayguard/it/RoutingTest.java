package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;

/**
 * SPEC "the gateway as a mail transport", routing: mail for our domains (James's DomainList) goes
 * to the Microsoft 365 smart host only, every other relayed mail to the internet route only, each
 * through a delivery queue of its own. Two next hops, so that a mail on the wrong one shows.
 */
class RoutingTest {

    @Test
    void mailForOurDomainsReachesOnlyTheM365SmartHostAndInternetMailOnlyTheInternetNextHop() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            assertThat(james.webAdmin().queues())
                .as("each route has its own queue, and the M365 route one per tenant")
                .contains("spool", "to-m365-contoso", "to-internet");

            for (int i = 0; i < 5; i++) {
                assertThat(TransportMail.OUTBOUND.send(james, "outbound-" + i).code).isEqualTo(250);
                assertThat(TransportMail.INBOUND.send(james, "inbound-" + i).code).isEqualTo(250);
            }
            james.webAdmin().addDomain("fabrikam.example");
            try (SmtpClient client = TransportMail.INBOUND.connect(james)) {
                assertThat(client.send("b@example.org", List.of("user@fabrikam.example"),
                    TransportMail.INBOUND.message("inbound-added-domain")).code).isEqualTo(250);
            }

            Outcomes outcomes = Outcomes.await(james, hops, 11, TransportMail.ID_HEADER, Duration.ofSeconds(60));
            for (int i = 0; i < 5; i++) {
                assertThat(outcomes.relayed("outbound-" + i)).as("outbound-%d on the internet next hop (%s)", i, outcomes).isEqualTo(1);
                assertThat(outcomes.relayedToM365("outbound-" + i)).as("outbound-%d on the M365 smart host", i).isZero();
                assertThat(outcomes.relayedToM365("inbound-" + i)).as("inbound-%d on the M365 smart host (%s)", i, outcomes).isEqualTo(1);
                assertThat(outcomes.relayed("inbound-" + i)).as("inbound-%d on the internet next hop", i).isZero();
            }
            assertThat(outcomes.relayedToM365("inbound-added-domain"))
                .as("a domain added through webadmin is routed to M365 at once")
                .isEqualTo(1);
            assertThat(hops.m365().received()).allSatisfy(mail -> assertThat(mail.rcptTo).allMatch(rcpt ->
                rcpt.endsWith("@contoso.com") || rcpt.endsWith("@fabrikam.example")));
            assertThat(hops.internet().received()).allSatisfy(mail -> assertThat(mail.rcptTo).containsExactly("friend@external.example"));
            assertThat(outcomes.quarantinedCopies()).isEmpty();
            assertThat(outcomes.errorRepositorySize()).isZero();
        }
    }
}
