package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.WebAdmin;

/**
 * Step 6 on a real James in enforce mode: an operator reads a quarantined mail through webadmin
 * and releases it; the release reaches the next hop exactly once and never comes back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuarantineReleaseTest {
    private NextHops hops;
    private JamesServer james;

    @BeforeAll
    void startGateway() throws Exception {
        hops = NextHops.start();
        james = JamesServer.builder()
            .enforce(true)
            .nextHops(hops)
            .start();
    }

    @AfterAll
    void stopGateway() {
        james.close();
        hops.close();
    }

    @Test
    void theExtensionIsLoadedFromExtensionsJarsAndNotFromJamesClassPath() throws Exception {
        // lib/ holds the Relay Guard server (the main class and its durable modules), and none of the extension.
        Path serverJar;
        try (Stream<Path> lib = Files.list(JamesServer.defaultServerDir().resolve("lib"))) {
            List<Path> ours = lib.filter(path -> path.getFileName().toString().startsWith("relayguard")).collect(Collectors.toList());
            assertThat(ours).hasSize(1);
            serverJar = ours.get(0);
        }
        assertThat(serverJar.getFileName().toString()).startsWith("relayguard-james-server-");
        try (JarFile jar = new JarFile(serverJar.toFile())) {
            assertThat(jar.stream().map(JarEntry::getName).filter(name -> name.endsWith(".class")))
                .isNotEmpty()
                .allMatch(name -> name.startsWith("org/relayguard/server/"));
        }
        assertThat(james.logText())
            .contains("Loading custom classpath resource " + james.root().resolve("extensions-jars/relayguard-core-"))
            .contains("Loading custom classpath resource " + james.root().resolve("extensions-jars/relayguard-matchers-"))
            .contains("Loading custom classpath resource " + james.root().resolve("extensions-jars/relayguard-mailets-"))
            .contains("org.relayguard.mailets.SwitchableNull instantiated");
    }

    @Test
    void aQuarantinedMailCanBeReadAndReleasedExactlyOnce() throws Exception {
        Scenario denied = Scenario.FOREIGN_SENDER_FOREIGN_ORG;
        assertThat(denied.sendTo(james).code).isEqualTo(250);
        Outcomes outcomes = Outcomes.await(james, hops, 0, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));
        assertThat(outcomes.quarantined(denied.name())).isEqualTo(1);
        assertThat(outcomes.relayed(denied.name())).isZero();

        WebAdmin webAdmin = james.webAdmin();
        List<String> keys = webAdmin.mailKeys(JamesServer.QUARANTINE);
        assertThat(keys).hasSize(1);
        String key = keys.get(0);

        JsonNode details = webAdmin.mail(JamesServer.QUARANTINE, key);
        assertThat(details.get("sender").asText()).isEqualTo("a@evil.example");
        assertThat(details.get("recipients").toString()).contains(Scenario.RECIPIENT);
        assertThat(details.get("remoteHost").asText()).isEqualTo(JamesServer.M365_HOST_NAME);
        assertThat(details.get("headers").toString())
            .containsIgnoringCase("X-OriginatorOrg")
            .contains("evil.onmicrosoft.com");
        assertThat(webAdmin.rawMail(JamesServer.QUARANTINE, key))
            .contains("X-OriginatorOrg: evil.onmicrosoft.com")
            .contains("Hello from scenario " + denied.name());

        JsonNode task = webAdmin.reprocess(JamesServer.QUARANTINE, key, "m365_release");
        assertThat(task.get("status").asText()).isEqualTo("completed");

        Outcomes afterRelease = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(30));
        assertThat(afterRelease.relayed(denied.name())).isEqualTo(1);
        assertThat(afterRelease.quarantined(denied.name())).isZero();
        assertThat(afterRelease.errorRepositorySize()).isZero();
        SmtpSink.Received released = hops.internet().received().get(0);
        assertThat(released.mailFrom).isEqualTo("a@evil.example");
        assertThat(released.rcptTo).containsExactly(Scenario.RECIPIENT);
    }
}
