package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.WebAdmin;

/**
 * What moving the quarantine to another kind of repository changes: only the repository URL's
 * protocol, set per deployment by {@code RELAYGUARD_QUARANTINE} without editing the shipped file
 * ({@code jpa://} for a cluster, {@code ClusterTest}; {@code cassandra://} on James's distributed
 * server). Here the shipped {@code file://} quarantine becomes a {@code memory://} one: webadmin
 * finds it under the same path, and review and release work as the runbook says.
 */
class QuarantineRepositoryUrlTest {
    private static final String SHIPPED = "<repositoryPath>${env:RELAYGUARD_QUARANTINE:-file://var/mail/m365-relaydeny/}</repositoryPath>";
    private static final String OTHER_PROTOCOL = "memory://var/mail/m365-relaydeny/";

    @Test
    void theQuarantineWorksTheSameInAnotherKindOfRepository() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().enforce(true).nextHops(hops)
                 .env("RELAYGUARD_QUARANTINE", OTHER_PROTOCOL).prepare()) {
            String shipped = Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            assertThat(shipped).contains(SHIPPED);
            james.start();

            Scenario denied = Scenario.FOREIGN_SENDER_FOREIGN_ORG;
            denied.sendTo(james);
            Outcomes outcomes = Outcomes.await(james, hops, 0, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));
            assertThat(outcomes.quarantined(denied.name())).isEqualTo(1);
            assertThat(outcomes.relayed(denied.name())).isZero();
            assertThat(Files.exists(james.root().resolve(JamesServer.QUARANTINE))).as("nothing written to the file system").isFalse();

            WebAdmin webAdmin = james.webAdmin();
            List<String> keys = webAdmin.mailKeys(JamesServer.QUARANTINE);
            assertThat(keys).hasSize(1);
            assertThat(webAdmin.reprocess(JamesServer.QUARANTINE, keys.get(0), "m365_release").get("status").asText()).isEqualTo("completed");

            Outcomes released = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));
            assertThat(released.relayed(denied.name())).isEqualTo(1);
            assertThat(released.quarantined(denied.name())).isZero();
            assertThat(released.errorRepositorySize()).isZero();
        }
    }
}
