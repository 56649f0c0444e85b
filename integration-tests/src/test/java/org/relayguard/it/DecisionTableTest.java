package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of SPEC's decision table, in both profiles and both modes, on a real James 3.8.1
 * started from the shipped configuration: real SMTP in, a real SMTP server as the next hop, the
 * quarantine read through webadmin.
 */
class DecisionTableTest {

    static Stream<Arguments> profilesAndModes() {
        return Stream.of(
            Arguments.of(JamesServer.Profile.HARDENED, false),
            Arguments.of(JamesServer.Profile.HARDENED, true),
            Arguments.of(JamesServer.Profile.PROOFPOINT, false),
            Arguments.of(JamesServer.Profile.PROOFPOINT, true));
    }

    @ParameterizedTest(name = "{0} profile, enforce={1}")
    @MethodSource("profilesAndModes")
    void everyRowEndsWhereSpecSays(JamesServer.Profile profile, boolean enforce) throws Exception {
        try (SmtpSink sink = SmtpSink.start();
             JamesServer james = JamesServer.builder()
                .profile(profile)
                .enforce(enforce)
                .deliverTo(sink.port())
                .start()) {
            for (Scenario scenario : Scenario.values()) {
                assertThat(scenario.sendTo(james).code).as(scenario.name()).isEqualTo(250);
            }
            long expectedRelayed = Arrays.stream(Scenario.values())
                .filter(scenario -> scenario.expected(profile) == Scenario.Decision.RELAY || !enforce)
                .count();

            Outcomes outcomes = Outcomes.await(james, sink, (int) expectedRelayed, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            SoftAssertions softly = new SoftAssertions();
            for (Scenario scenario : Scenario.values()) {
                boolean denied = scenario.expected(profile) == Scenario.Decision.DENY;
                softly.assertThat(outcomes.quarantined(scenario.name()))
                    .as("%s quarantined copies (%s)", scenario, outcomes)
                    .isEqualTo(denied ? 1 : 0);
                softly.assertThat(outcomes.relayed(scenario.name()))
                    .as("%s relayed copies (%s)", scenario, outcomes)
                    .isEqualTo(denied && enforce ? 0 : 1);
            }
            softly.assertThat(outcomes.errorRepositorySize()).as("error repository").isZero();
            softly.assertAll();
        }
    }
}
