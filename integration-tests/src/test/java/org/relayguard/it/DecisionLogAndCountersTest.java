package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.WebAdmin;

/**
 * The decision log and the counters in enforce mode, in the proofpoint profile, through a whole
 * deny, discard and release cycle on a real James: one line per decision, in the file James writes,
 * and the counters James exposes on {@code /metrics}.
 */
class DecisionLogAndCountersTest {

    private static List<Map<String, String>> lines(JamesServer james, String decision) {
        return DecisionLog.read(james.decisionLog()).stream()
            .filter(line -> decision.equals(line.get("decision")))
            .collect(Collectors.toList());
    }

    @Test
    void denyDiscardAndReleaseEachWriteOneLineAndMoveTheirCounter() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder()
                 .profile(JamesServer.Profile.PROOFPOINT)
                 .enforce(true)
                 .nextHops(hops)
                 .start()) {
            WebAdmin webAdmin = james.webAdmin();
            assertThat(webAdmin.metrics()).containsEntry("relayguard_denied_total", 0.0);

            Scenario.FOREIGN_SENDER_FOREIGN_ORG.sendTo(james);
            Scenario.NULL_SENDER_NO_ORG.sendTo(james);
            Scenario.OUR_SENDER_OUR_ORG.sendTo(james);
            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
            assertThat(outcomes.relayed(Scenario.OUR_SENDER_OUR_ORG.name())).isEqualTo(1);
            assertThat(outcomes.relayed(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isZero();
            assertThat(outcomes.quarantined(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isEqualTo(1);
            assertThat(outcomes.quarantined(Scenario.NULL_SENDER_NO_ORG.name())).isEqualTo(1);

            List<Map<String, String>> denies = lines(james, "deny");
            assertThat(denies).hasSize(2);
            assertThat(DecisionLog.read(james.decisionLog())).hasSize(2);
            assertThat(denies).allSatisfy(line -> {
                assertThat(line).containsEntry("action", "quarantine+discard")
                    .containsEntry("mode", "enforce")
                    .containsEntry("profile", "proofpoint")
                    .containsEntry("route", "m365_mail")
                    .containsEntry("rule", "x-originatororg")
                    .containsEntry("xoorg", "-")
                    .containsEntry("tenant", "-")
                    .containsEntry("tls", "none")
                    .containsEntry("remoteHost", JamesServer.M365_HOST_NAME)
                    .containsEntry("remoteIp", JamesServer.M365_HOST_SOURCE)
                    .containsEntry("recipients", "1")
                    .containsEntry("messageSource", "-");
                assertThat(webAdmin.mailKeys(JamesServer.QUARANTINE)).contains(line.get("mail"));
            });
            assertThat(denies).extracting(line -> line.get("sender") + " " + line.get("originatorOrg") + " " + line.get("condition"))
                .containsExactlyInAnyOrder("a@evil.example evil.onmicrosoft.com org-not-allowed", "<> - org-absent");
            Map<String, Double> afterDeny = webAdmin.metrics();
            assertThat(afterDeny).containsEntry("relayguard_denied_total", 2.0)
                .containsEntry("relayguard_discarded_total", 2.0)
                .containsEntry("relayguard_released_total", 0.0);

            String released = denies.stream().filter(line -> line.get("sender").equals("a@evil.example")).findFirst().orElseThrow().get("mail");
            assertThat(webAdmin.mail(JamesServer.QUARANTINE, released).get("error").asText())
                .as("the quarantined copy keeps the rule's notice")
                .isEqualTo("relayguard rule=x-originatororg route=m365_mail");
            assertThat(webAdmin.reprocess(JamesServer.QUARANTINE, released, "m365_release").get("status").asText()).isEqualTo("completed");
            Outcomes afterRelease = Outcomes.await(james, hops, 2, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
            assertThat(afterRelease.relayed(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isEqualTo(1);

            List<Map<String, String>> releases = lines(james, "release");
            assertThat(releases).singleElement().satisfies(line -> assertThat(line)
                .containsEntry("action", "deliver")
                .containsEntry("mode", "enforce")
                .containsEntry("profile", "proofpoint")
                .containsEntry("route", "m365_mail")
                .containsEntry("rule", "x-originatororg")
                .containsEntry("condition", "operator-release")
                .containsEntry("mail", released)
                .containsEntry("sender", "a@evil.example")
                .containsEntry("originatorOrg", "evil.onmicrosoft.com")
                .containsEntry("remoteHost", JamesServer.M365_HOST_NAME)
                .containsEntry("tls", "none"));
            assertThat(DecisionLog.read(james.decisionLog())).as("no deny line for the release").hasSize(3);
            assertThat(webAdmin.metrics()).containsEntry("relayguard_denied_total", 2.0)
                .containsEntry("relayguard_discarded_total", 2.0)
                .containsEntry("relayguard_released_total", 1.0);
        }
    }
}
