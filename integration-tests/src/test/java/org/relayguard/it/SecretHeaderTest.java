package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.WebAdmin;

/**
 * The secret-header recipe of the hardened profile on a real James 3.8.1, turned on as the README
 * says (delete the two marker lines, give the secret in the environment), in audit mode, so that
 * denied mail is relayed too and every mail reaches the sink: the secret is required in the M365
 * route once turned on, never reaches the next hop nor the quarantine (before it is turned on
 * either), and two values are accepted while rotating.
 */
class SecretHeaderTest {
    static final String HEADER = "X-Relayguard-Secret";
    static final String OLD_SECRET = "0d8f5a0c6b2e4e7f9a1b3c5d7e9f1a2b";
    static final String NEW_SECRET = "7c4e2a9b1d3f5e7a9c1b3d5f7a9c1e3b";
    static final String RECIPIENT = Scenario.RECIPIENT;

    static void enableTheRecipe(Path mailetContainer) throws IOException {
        List<String> lines = Files.readAllLines(mailetContainer, StandardCharsets.UTF_8);
        List<String> enabled = lines.stream()
            .filter(line -> !line.strip().equals("<!-- SECRET HEADER BEGIN") && !line.strip().equals("SECRET HEADER END -->"))
            .collect(Collectors.toList());
        assertThat(enabled).as("the shipped configuration has the recipe commented out").hasSize(lines.size() - 2);
        Files.write(mailetContainer, enabled, StandardCharsets.UTF_8);
    }

    /** Our own tenant's mail as the header rules allow it, with the given secret header lines. */
    static String message(String id, String... secretHeaders) {
        StringBuilder message = new StringBuilder()
            .append("From: a@contoso.com\r\n")
            .append("To: ").append(RECIPIENT).append("\r\n")
            .append("Subject: secret header ").append(id).append("\r\n")
            .append("Message-ID: <").append(id).append("@relayguard.test>\r\n")
            .append(Scenario.SCENARIO_HEADER).append(": ").append(id).append("\r\n")
            .append("X-OriginatorOrg: contoso.com\r\n");
        for (String header : secretHeaders) {
            message.append(header).append("\r\n");
        }
        return message.append("\r\nSecret header test ").append(id).append(".\r\n").toString();
    }

    static void send(JamesServer james, String sourceAddress, String id, String... secretHeaders) throws IOException {
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(sourceAddress), Optional.empty())) {
            assertThat(client.send("a@contoso.com", List.of(RECIPIENT), message(id, secretHeaders)).code).isEqualTo(250);
        }
    }

    static void sendFromExchangeOnline(JamesServer james, String id, String... secretHeaders) throws IOException {
        send(james, JamesServer.M365_HOST_SOURCE, id, secretHeaders);
    }

    /** Nothing of the secret in anything the next hop received, nor in the quarantine. */
    static void assertTheSecretNeverLeft(JamesServer james, NextHops hops, String... secrets) {
        assertThat(hops.internet().received()).isNotEmpty();
        assertThat(hops.m365().received()).as("nothing in these tests is for our domains").isEmpty();
        for (SmtpSink.Received mail : hops.internet().received()) {
            assertThat(mail.message).as("relayed mail").doesNotContainIgnoringCase(HEADER);
            for (String secret : secrets) {
                assertThat(mail.message).as("relayed mail").doesNotContain(secret);
            }
        }
        WebAdmin webAdmin = james.webAdmin();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            String quarantined = webAdmin.rawMail(JamesServer.QUARANTINE, key);
            assertThat(quarantined).as("quarantined mail").doesNotContainIgnoringCase(HEADER);
            for (String secret : secrets) {
                assertThat(quarantined).as("quarantined mail").doesNotContain(secret);
            }
        }
    }

    static void assertAllowed(Outcomes outcomes, String id) {
        assertThat(outcomes.relayed(id)).as("%s relayed (%s)", id, outcomes).isEqualTo(1);
        assertThat(outcomes.quarantined(id)).as("%s quarantined (%s)", id, outcomes).isZero();
    }

    static void assertDenied(Outcomes outcomes, String id) {
        assertThat(outcomes.quarantined(id)).as("%s quarantined (%s)", id, outcomes).isEqualTo(1);
        assertThat(outcomes.relayed(id)).as("%s relayed in audit mode (%s)", id, outcomes).isEqualTo(1);
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class OneSecret {
        private NextHops hops;
        private JamesServer james;

        @BeforeAll
        void startGateway() throws Exception {
            hops = NextHops.start();
            james = JamesServer.builder().nextHops(hops).env("RELAYGUARD_SECRET", OLD_SECRET).prepare();
            enableTheRecipe(james.conf("mailetcontainer.xml"));
            james.start();
        }

        @AfterAll
        void stopGateway() {
            james.close();
            hops.close();
        }

        @Test
        void theSecretIsRequiredInTheM365RouteAndNeverLeavesTheGateway() throws Exception {
            sendFromExchangeOnline(james, "with-secret", HEADER + ": " + OLD_SECRET);
            sendFromExchangeOnline(james, "secret-in-other-case-and-folded", "x-relayguard-secret:\r\n " + OLD_SECRET.toUpperCase());
            sendFromExchangeOnline(james, "without-secret");
            sendFromExchangeOnline(james, "wrong-secret", HEADER + ": " + NEW_SECRET);
            sendFromExchangeOnline(james, "secret-and-forged-second-instance", HEADER + ": " + OLD_SECRET, HEADER + ": guess");
            send(james, JamesServer.INTERNET_HOST_SOURCE, "internet-mail-with-secret", HEADER + ": " + OLD_SECRET);

            Outcomes outcomes = Outcomes.await(james, hops, 6, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertAllowed(outcomes, "with-secret");
            assertAllowed(outcomes, "secret-in-other-case-and-folded");
            assertDenied(outcomes, "without-secret");
            assertDenied(outcomes, "wrong-secret");
            assertDenied(outcomes, "secret-and-forged-second-instance");
            assertAllowed(outcomes, "internet-mail-with-secret");
            assertThat(outcomes.errorRepositorySize()).isZero();
            assertTheSecretNeverLeft(james, hops, OLD_SECRET, OLD_SECRET.toUpperCase());
        }

        @Test
        void theSecretIsInNeitherTheConfigurationNorTheLog() throws Exception {
            assertThat(Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8))
                .contains("${env:RELAYGUARD_SECRET:-}")
                .doesNotContain(OLD_SECRET);
            assertThat(james.logText()).doesNotContain(OLD_SECRET);
        }
    }

    /** The README's order: transport rule first, then the requirement, then a rotation. */
    @Test
    void switchingTheRecipeOnAndRotatingTheSecretNeverLeaksItAndAcceptsTwoValuesWhileRotating() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            // The transport rule stamps the header, the shipped configuration does not require it yet.
            sendFromExchangeOnline(james, "not-required-yet-with", HEADER + ": " + OLD_SECRET);
            sendFromExchangeOnline(james, "not-required-yet-without");
            Outcomes notRequired = Outcomes.await(james, hops, 2, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
            assertAllowed(notRequired, "not-required-yet-with");
            assertAllowed(notRequired, "not-required-yet-without");
            assertTheSecretNeverLeft(james, hops, OLD_SECRET);

            james.stop();
            enableTheRecipe(james.conf("mailetcontainer.xml"));
            // Rotation: Microsoft 365 may stamp either value until its rule has the new one everywhere.
            james.setEnv("RELAYGUARD_SECRET", OLD_SECRET);
            james.setEnv("RELAYGUARD_SECRET_NEXT", NEW_SECRET);
            james.start();

            sendFromExchangeOnline(james, "rotating-old", HEADER + ": " + OLD_SECRET);
            sendFromExchangeOnline(james, "rotating-new", HEADER + ": " + NEW_SECRET);
            sendFromExchangeOnline(james, "rotating-neither", HEADER + ": " + OLD_SECRET + NEW_SECRET);
            Outcomes rotating = Outcomes.await(james, hops, 5, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
            assertAllowed(rotating, "rotating-old");
            assertAllowed(rotating, "rotating-new");
            assertDenied(rotating, "rotating-neither");

            // The new value is the only one.
            james.stop();
            james.setEnv("RELAYGUARD_SECRET", NEW_SECRET);
            james.setEnv("RELAYGUARD_SECRET_NEXT", "");
            james.start();

            sendFromExchangeOnline(james, "rotated-old", HEADER + ": " + OLD_SECRET);
            sendFromExchangeOnline(james, "rotated-new", HEADER + ": " + NEW_SECRET);
            Outcomes rotated = Outcomes.await(james, hops, 7, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
            assertDenied(rotated, "rotated-old");
            assertAllowed(rotated, "rotated-new");
            assertTheSecretNeverLeft(james, hops, OLD_SECRET, NEW_SECRET);
        }
    }

    @Test
    void theRecipeWithoutAnySecretStopsJames() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            enableTheRecipe(james.conf("mailetcontainer.xml"));

            String log = james.startExpectingFailure();

            assertThat(log)
                .contains("HeaderNotEquals: no value after '" + HEADER + ":'")
                .contains("Fatal error while starting James");
        }
    }
}
