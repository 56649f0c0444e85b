package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;

/**
 * Every row of SPEC's decision table, in both profiles and both modes, on a real James 3.8.1
 * started from the shipped configuration: real SMTP in, a real SMTP server as each route's next
 * hop, the quarantine read through webadmin. On the Relay Guard server, and once on James's stock
 * memory server, since the install bundle must work on any James 3.8.1.
 *
 * <p>Each row is sent twice more in the same boot, and must end the same way, so that no rule can
 * be bypassed by another way of writing or sending a message: as an SMTPUTF8 client writes it
 * ({@link Utf8Variant}), and on the Relay Guard server by CHUNKING (BDAT, its own scenario header
 * value; James's stock server offers no CHUNKING).</p>
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
            Utf8Variant.offeredByTheNextHops(hops);
            for (Scenario scenario : Scenario.values()) {
                assertThat(scenario.sendTo(james).code).as(scenario.name()).isEqualTo(250);
                assertThat(Utf8Variant.sendTo(james, scenario).code).as(Utf8Variant.id(scenario)).isEqualTo(250);
                if (chunking) {
                    assertThat(scenario.sendByBdatTo(james).code).as(scenario.bdatId()).isEqualTo(250);
                }
            }
            long expectedRelayed = (chunking ? 3 : 2) * Arrays.stream(Scenario.values())
                .filter(scenario -> scenario.expected(profile) == Scenario.Decision.RELAY || !enforce)
                .count();

            Outcomes outcomes = Outcomes.await(james, hops, (int) expectedRelayed, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            SoftAssertions softly = new SoftAssertions();
            for (Scenario scenario : Scenario.values()) {
                boolean denied = scenario.expected(profile) == Scenario.Decision.DENY;
                List<String> variants = chunking
                    ? List.of(scenario.name(), Utf8Variant.id(scenario), scenario.bdatId())
                    : List.of(scenario.name(), Utf8Variant.id(scenario));
                for (String variant : variants) {
                    softly.assertThat(outcomes.quarantined(variant))
                        .as("%s quarantined copies (%s)", variant, outcomes)
                        .isEqualTo(denied ? 1 : 0);
                    softly.assertThat(outcomes.relayed(variant))
                        .as("%s relayed copies (%s)", variant, outcomes)
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

    /**
     * The SMTPUTF8 form of a row: {@code SMTPUTF8} on MAIL FROM, a UTF-8 subject and display name in
     * raw UTF-8 (RFC 6532), and a UTF-8 local part on the envelope sender where the row's meaning
     * allows it (not the null sender, not the SRS address, whose local part is the row).
     */
    static final class Utf8Variant {
        private Utf8Variant() {
        }

        static String id(Scenario scenario) {
            return scenario.name() + "-SMTPUTF8";
        }

        /** Both next hops offer SMTPUTF8, so that a UTF-8 local part can be relayed. */
        static void offeredByTheNextHops(NextHops hops) {
            hops.internet().offerSmtpUtf8(true);
            hops.smartHosts().forEach(sink -> sink.offerSmtpUtf8(true));
        }

        static String sender(Scenario scenario) {
            String sender = scenario.envelopeSender;
            return sender.isEmpty() || sender.startsWith("bounces+SRS") ? sender : "jürgen." + sender;
        }

        static String message(Scenario scenario) {
            String sender = sender(scenario);
            return scenario.message()
                .replace(Scenario.SCENARIO_HEADER + ": " + scenario.name() + "\r\n", Scenario.SCENARIO_HEADER + ": " + id(scenario) + "\r\n")
                .replace("Subject: Relay Guard scenario ", "Subject: Grüße, Relay Guard scenario ")
                .replace("Message-ID: <" + scenario.name().toLowerCase(), "Message-ID: <" + id(scenario).toLowerCase())
                .replaceFirst("(?m)^From: .*$", "From: Jürgen Müller <" + (sender.isEmpty() ? "MAILER-DAEMON@evil.example" : sender) + ">");
        }

        static SmtpClient.Reply sendTo(JamesServer james, Scenario scenario) throws java.io.IOException {
            try (SmtpClient client = scenario.connect(james)) {
                return client.send(sender(scenario), "SMTPUTF8", java.util.List.of(Scenario.RECIPIENT), message(scenario));
            }
        }
    }
}
