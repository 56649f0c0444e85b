package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;

/**
 * Every row of SPEC's decision table, in both profiles and both modes, on a real James 3.8.1
 * started from the shipped configuration: real SMTP in, a real SMTP server as each route's next
 * hop, the quarantine read through webadmin. On the Relay Guard server, and once on James's stock
 * memory server, since the install bundle must work on any James 3.8.1. On the Relay Guard server
 * every row is also sent a second time by CHUNKING (BDAT, its own scenario header value) in the
 * same boot, and must end the same way: no rule is bypassed by the other way of sending a message.
 */
class DecisionTableTest {

    static Stream<Arguments> profilesAndModes() {
        return Stream.of(
            Arguments.of(JamesServer.Profile.HARDENED, false, JamesServer.Kind.RELAY_GUARD),
            Arguments.of(JamesServer.Profile.HARDENED, true, JamesServer.Kind.RELAY_GUARD),
            Arguments.of(JamesServer.Profile.PROOFPOINT, false, JamesServer.Kind.RELAY_GUARD),
            Arguments.of(JamesServer.Profile.PROOFPOINT, true, JamesServer.Kind.RELAY_GUARD),
            Arguments.of(JamesServer.Profile.HARDENED, true, JamesServer.Kind.STOCK_MEMORY));
    }

    @ParameterizedTest(name = "{0} profile, enforce={1}, {2} server")
    @MethodSource("profilesAndModes")
    void everyRowEndsWhereSpecSays(JamesServer.Profile profile, boolean enforce, JamesServer.Kind kind) throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder()
                .kind(kind)
                .profile(profile)
                .enforce(enforce)
                .nextHops(hops)
                .start()) {
            boolean chunking = kind == JamesServer.Kind.RELAY_GUARD;
            for (Scenario scenario : Scenario.values()) {
                assertThat(scenario.sendTo(james).code).as(scenario.name()).isEqualTo(250);
                if (chunking) {
                    assertThat(scenario.sendByBdatTo(james).code).as(scenario.bdatId()).isEqualTo(250);
                }
            }
            long expectedRelayed = Arrays.stream(Scenario.values())
                .filter(scenario -> scenario.expected(profile) == Scenario.Decision.RELAY || !enforce)
                .count() * (chunking ? 2 : 1);

            Outcomes outcomes = Outcomes.await(james, hops, (int) expectedRelayed, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            SoftAssertions softly = new SoftAssertions();
            for (Scenario scenario : Scenario.values()) {
                boolean denied = scenario.expected(profile) == Scenario.Decision.DENY;
                softly.assertThat(outcomes.quarantined(scenario.name()))
                    .as("%s quarantined copies (%s)", scenario, outcomes)
                    .isEqualTo(denied ? 1 : 0);
                softly.assertThat(outcomes.relayed(scenario.name()))
                    .as("%s relayed copies (%s)", scenario, outcomes)
                    .isEqualTo(denied && enforce ? 0 : 1);
                if (chunking) {
                    softly.assertThat(outcomes.quarantined(scenario.bdatId()))
                        .as("%s quarantined copies (%s)", scenario.bdatId(), outcomes)
                        .isEqualTo(denied ? 1 : 0);
                    softly.assertThat(outcomes.relayed(scenario.bdatId()))
                        .as("%s relayed copies (%s)", scenario.bdatId(), outcomes)
                        .isEqualTo(denied && enforce ? 0 : 1);
                }
            }
            softly.assertThat(outcomes.relayedToM365Copies())
                .as("mail for outside recipients never goes to the M365 smart host (%s)", outcomes)
                .isEmpty();
            softly.assertThat(outcomes.errorRepositorySize()).as("error repository").isZero();
            softly.assertAll();
        }
    }
}
