package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.process.Pause;

/**
 * SPEC "the gateway as a mail transport" across a graceful restart (Ctrl-C, a service manager, the
 * runbook's audit → enforce switch) of the server run.sh starts: mail waiting in the delivery
 * queues, domains added through webadmin, and the quarantine with what the review needs (the
 * decision log, the tenant the SMTP session named) are all still there afterwards.
 */
class RestartTest {
    private static final int MAILS_PER_ROUTE = 10;

    @Test
    void mailWaitingForRetryWhileBothNextHopsAreDownIsDeliveredAfterARestartWhenTheyComeBack() throws Exception {
        try (NextHops hops = NextHops.down();
             JamesServer james = JamesServer.builder().nextHops(hops).env("RELAYGUARD_SMTP_GRACEFUL_SHUTDOWN", "true").start()) {
            Instant sent = Instant.now();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < MAILS_PER_ROUTE; i++) {
                for (TransportMail kind : List.of(TransportMail.OUTBOUND, TransportMail.INBOUND)) {
                    String id = kind.name().toLowerCase() + "-" + i;
                    assertThat(kind.send(james, id).code).isEqualTo(250);
                    ids.add(id);
                }
            }
            awaitEveryMailWaitingForRetry(james.webAdmin(), sent);

            james.stop();
            hops.up();
            james.start();

            Outcomes outcomes = Outcomes.await(james, hops, ids.size(), TransportMail.ID_HEADER, Duration.ofMinutes(3));
            for (String id : ids) {
                boolean inbound = id.startsWith("inbound");
                assertThat(inbound ? outcomes.relayedToM365(id) : outcomes.relayed(id))
                    .as("%s delivered once on its route after the restart (%s)", id, outcomes).isEqualTo(1);
                assertThat(inbound ? outcomes.relayed(id) : outcomes.relayedToM365(id)).as("%s on the other route", id).isZero();
            }
            assertThat(outcomes.errorRepositorySize()).isZero();
        }
    }

    /** Both delivery queues hold every mail, each after a failed attempt (RemoteDelivery set its next delivery). */
    private static void awaitEveryMailWaitingForRetry(WebAdmin webAdmin, Instant sent) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            Map<String, List<JsonNode>> queued = Map.of(
                "to-m365-contoso", webAdmin.queuedMails("to-m365-contoso"),
                "to-internet", webAdmin.queuedMails("to-internet"));
            boolean waiting = webAdmin.queueSize("spool") == 0
                && queued.values().stream().allMatch(mails -> mails.size() == MAILS_PER_ROUTE
                    && mails.stream().allMatch(mail -> retryScheduledAfter(mail, sent)));
            if (waiting) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("mails not waiting for a retry in the delivery queues: " + queued.entrySet().stream()
                    .map(entry -> entry.getKey() + "=" + entry.getValue()).collect(Collectors.joining(", ")));
            }
            Pause.sleep(200);
        }
    }

    private static boolean retryScheduledAfter(JsonNode queuedMail, Instant sent) {
        JsonNode next = queuedMail.get("nextDelivery");
        return next != null && !next.isNull() && Instant.parse(next.asText().replaceAll("\\[.*]$", "")).isAfter(sent);
    }

    @Test
    void aDomainAddedThroughWebadminIsStillOursAfterARestart() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).env("RELAYGUARD_SMTP_GRACEFUL_SHUTDOWN", "true").start()) {
            james.webAdmin().addDomain("fabrikam.example");
            assertThat(james.webAdmin().domains()).contains("fabrikam.example");

            james.restart();

            assertThat(james.webAdmin().domains()).contains("contoso.com", "fabrikam.example");
            try (SmtpClient client = TransportMail.INBOUND.connect(james)) {
                assertThat(client.send("b@example.org", List.of("user@fabrikam.example"),
                    TransportMail.INBOUND.message("added-domain")).code).isEqualTo(250);
            }
            Outcomes outcomes = Outcomes.await(james, hops, 1, TransportMail.ID_HEADER, Duration.ofSeconds(60));
            assertThat(outcomes.relayedToM365("added-domain")).as("still routed to M365 (%s)", outcomes).isEqualTo(1);
            assertThat(outcomes.relayed("added-domain")).isZero();
        }
    }

    @Test
    void theQuarantineTheDecisionLogAndTheSessionTenantSurviveARestart() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).env("RELAYGUARD_SMTP_GRACEFUL_SHUTDOWN", "true").enforce(true).start()) {
            assertThat(TransportMail.FOREIGN_BY_XOORG.send(james, "xoorg-denied").code).isEqualTo(250);
            Outcomes denied = Outcomes.await(james, hops, 0, TransportMail.ID_HEADER, Duration.ofSeconds(60));
            assertThat(denied.quarantined("xoorg-denied"))
                .as("denied by the tenant of the SMTP session, which crossed the spool queue as a mail attribute (%s)", denied)
                .isEqualTo(1);
            assertThat(denied.relayed("xoorg-denied")).isZero();
            String key = james.webAdmin().mailKeys(JamesServer.QUARANTINE).get(0);

            james.restart();

            WebAdmin webAdmin = james.webAdmin();
            assertThat(webAdmin.mailKeys(JamesServer.QUARANTINE)).containsExactly(key);
            assertThat(webAdmin.mail(JamesServer.QUARANTINE, key).get("attributes").get(XoorgTest.ATTRIBUTE).asText())
                .isEqualTo("evil.onmicrosoft.com");
            assertThat(DecisionLog.read(james.decisionLog()))
                .singleElement()
                .satisfies(line -> assertThat(line).containsEntry("decision", "deny").containsEntry("xoorg", "evil.onmicrosoft.com"));

            assertThat(webAdmin.reprocess(JamesServer.QUARANTINE, key, "m365_release").get("status").asText()).isEqualTo("completed");
            Outcomes released = Outcomes.await(james, hops, 1, TransportMail.ID_HEADER, Duration.ofSeconds(60));
            assertThat(released.relayed("xoorg-denied")).as("released once after the restart (%s)", released).isEqualTo(1);
            assertThat(DecisionLog.read(james.decisionLog()))
                .extracting(line -> line.get("decision") + " " + line.get("xoorg"))
                .containsExactly("deny evil.onmicrosoft.com", "release evil.onmicrosoft.com");
        }
    }
}
