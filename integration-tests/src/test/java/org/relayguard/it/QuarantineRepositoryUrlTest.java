package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * What moving to James's distributed server changes for the quarantine: only the repository URL's
 * protocol ({@code cassandra://} there). Here the shipped {@code file://} quarantine becomes a
 * {@code memory://} one, the other kind the memory server has: webadmin finds it under the same
 * path, and review and release work as the runbook says.
 */
class QuarantineRepositoryUrlTest {
    private static final String SHIPPED = "<repositoryPath>file://var/mail/m365-relaydeny/</repositoryPath>";
    private static final String OTHER_PROTOCOL = "<repositoryPath>memory://var/mail/m365-relaydeny/</repositoryPath>";

    @Test
    void theQuarantineWorksTheSameInAnotherKindOfRepository() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().enforce(true).nextHops(hops).prepare()) {
            Path mailetContainer = james.conf("mailetcontainer.xml");
            String shipped = Files.readString(mailetContainer, StandardCharsets.UTF_8);
            assertThat(shipped).contains(SHIPPED);
            Files.writeString(mailetContainer, shipped.replace(SHIPPED, OTHER_PROTOCOL), StandardCharsets.UTF_8);
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
