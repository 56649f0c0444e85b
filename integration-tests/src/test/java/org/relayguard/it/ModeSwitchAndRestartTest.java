package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;

/**
 * The audit to enforce switch as the README documents it (one entity in mailetcontainer.xml),
 * and the quarantine surviving the restart that the switch needs.
 */
class ModeSwitchAndRestartTest {
    static final String AUDIT = "<!ENTITY enforce \"false\">";
    static final String ENFORCE = "<!ENTITY enforce \"true\">";

    @Test
    void switchingToEnforceStopsRelayingAndKeepsTheQuarantine() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).prepare()) {
            Path mailetContainer = james.conf("mailetcontainer.xml");
            assertThat(Files.readString(mailetContainer, StandardCharsets.UTF_8))
                .as("the shipped configuration starts in audit mode")
                .contains(AUDIT);

            james.start();
            Scenario.FOREIGN_SENDER_NO_ORG.sendTo(james);
            Outcomes audit = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));
            assertThat(audit.quarantined(Scenario.FOREIGN_SENDER_NO_ORG.name())).isEqualTo(1);
            assertThat(audit.relayed(Scenario.FOREIGN_SENDER_NO_ORG.name())).isEqualTo(1);
            List<String> keysBefore = james.webAdmin().mailKeys(JamesServer.QUARANTINE);

            james.stop();
            Files.writeString(mailetContainer,
                Files.readString(mailetContainer, StandardCharsets.UTF_8).replace(AUDIT, ENFORCE), StandardCharsets.UTF_8);
            james.start();

            assertThat(james.webAdmin().mailKeys(JamesServer.QUARANTINE))
                .as("quarantine after restart")
                .containsExactlyInAnyOrderElementsOf(keysBefore);
            assertThat(james.webAdmin().rawMail(JamesServer.QUARANTINE, keysBefore.get(0)))
                .contains("Relay Guard scenario " + Scenario.FOREIGN_SENDER_NO_ORG.name());

            Scenario.FOREIGN_SENDER_FOREIGN_ORG.sendTo(james);
            Scenario.OUR_SENDER_OUR_ORG.sendTo(james);
            Outcomes enforce = Outcomes.await(james, hops, 2, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));
            assertThat(enforce.quarantined(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isEqualTo(1);
            assertThat(enforce.relayed(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isZero();
            assertThat(enforce.relayed(Scenario.OUR_SENDER_OUR_ORG.name())).isEqualTo(1);
            assertThat(enforce.quarantined(Scenario.FOREIGN_SENDER_NO_ORG.name())).isEqualTo(1);
            assertThat(enforce.errorRepositorySize()).isZero();
        }
    }

    @Test
    void theEnvironmentVariableOverridesTheModeWithoutEditingTheFile() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).enforce(true).start()) {
            assertThat(Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8)).contains(AUDIT);

            Scenario.FOREIGN_SENDER_FOREIGN_ORG.sendTo(james);
            Scenario.INTERNET_HOST.sendTo(james);
            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));

            assertThat(outcomes.quarantined(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isEqualTo(1);
            assertThat(outcomes.relayed(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isZero();
            assertThat(outcomes.relayed(Scenario.INTERNET_HOST.name())).isEqualTo(1);
        }
    }
}
