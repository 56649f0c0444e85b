package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.harness.WebAdmin;

/**
 * STARTTLS on the gateway's listeners, on a real James with the shipped configuration: a client
 * that checks the certificate as Exchange Online's connector does ("Always use TLS", certificate
 * validation, TlsDomain {@value TestPki#GATEWAY_NAME}) completes STARTTLS on the direct listener
 * and behind the PROXY protocol; the decision table holds for mail sent that way; every decision
 * names the session's TLS protocol; and the opt-in RequireStartTls refuses MAIL before STARTTLS.
 */
class TlsListenerTest {
    private static final String REQUIRE_STARTTLS = "<handler class=\"org.relayguard.smtp.RequireStartTls\"/>";
    private static final SSLContext TRUST_GATEWAY_CA = TestPki.gatewayCa().clientContext();

    private static NextHops hops;
    private static JamesServer james;

    /**
     * The hardened profile in audit mode, RequireStartTls taken out of its comment on both
     * listeners, as docs/tls.md says. James's JVM is allowed TLS 1.0 and 1.1 (the JDK 17 default
     * refuses them anyway, older JDK 11 updates do not): what refuses them here is smtpserver.xml.
     */
    @BeforeAll
    static void startGatewayThatRequiresStartTls() throws Exception {
        hops = NextHops.start();
        Path oldProtocolsAllowed = TestPki.write("java-with-tls-1.0.security",
            "jdk.tls.disabledAlgorithms=SSLv3, DTLSv1.0, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, ECDH\n");
        james = JamesServer.builder().enforce(false).nextHops(hops)
            .jvmArgument("-Djava.security.properties=" + oldProtocolsAllowed)
            .prepare();
        Path smtpserver = james.conf("smtpserver.xml");
        String shipped = Files.readString(smtpserver, StandardCharsets.UTF_8);
        String commentedOut = "<!-- " + REQUIRE_STARTTLS + " -->";
        assertThat(shipped.split(java.util.regex.Pattern.quote(commentedOut), -1)).as("one commented-out line per listener").hasSize(3);
        Files.writeString(smtpserver, shipped.replace(commentedOut, REQUIRE_STARTTLS), StandardCharsets.UTF_8);
        james.start();
    }

    @AfterAll
    static void stop() {
        if (james != null) {
            james.close();
        }
        if (hops != null) {
            hops.close();
        }
    }

    @Test
    void theDecisionTableHoldsOverTlsOnBothListenersAndEachDecisionNamesTheProtocol() throws Exception {
        Map<Scenario, String> protocols = new LinkedHashMap<>();
        for (Scenario scenario : Scenario.values()) {
            try (SmtpClient client = scenario.connect(james)) {
                protocols.put(scenario, client.startTls(TRUST_GATEWAY_CA, TestPki.GATEWAY_NAME));
                assertThat(client.send(scenario.envelopeSender, List.of(Scenario.RECIPIENT), scenario.message()).code)
                    .as(scenario.name()).isEqualTo(250);
            }
        }
        Set<Scenario> denied = protocols.keySet().stream()
            .filter(scenario -> scenario.expected(JamesServer.Profile.HARDENED) == Scenario.Decision.DENY)
            .collect(Collectors.toSet());
        Outcomes outcomes = Outcomes.await(james, hops, Scenario.values().length, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

        SoftAssertions softly = new SoftAssertions();
        for (Scenario scenario : Scenario.values()) {
            softly.assertThat(protocols.get(scenario)).as("%s: protocol", scenario).isIn("TLSv1.2", "TLSv1.3");
            softly.assertThat(outcomes.quarantined(scenario.name())).as("%s quarantined (%s)", scenario, outcomes)
                .isEqualTo(denied.contains(scenario) ? 1 : 0);
            softly.assertThat(outcomes.relayed(scenario.name())).as("%s relayed (%s)", scenario, outcomes).isEqualTo(1);
        }
        softly.assertThat(outcomes.relayedToM365Copies()).isEmpty();
        softly.assertThat(outcomes.errorRepositorySize()).isZero();
        softly.assertAll();

        List<Map<String, String>> lines = DecisionLog.read(james.decisionLog());
        assertThat(lines).hasSize(denied.size());
        WebAdmin webAdmin = james.webAdmin();
        for (Map<String, String> line : lines) {
            String raw = webAdmin.rawMail(JamesServer.QUARANTINE, line.get("mail"));
            Scenario scenario = Scenario.valueOf(Outcomes.headerOf(raw, Scenario.SCENARIO_HEADER));
            assertThat(line).as(scenario.name()).containsEntry("tls", protocols.get(scenario));
            assertThat(webAdmin.mail(JamesServer.QUARANTINE, line.get("mail")).at("/attributes/org.relayguard.tls").asText())
                .as("%s: the quarantined mail keeps the attribute", scenario).isEqualTo(protocols.get(scenario));
        }
        assertThat(hops.internet().received()).as("relayed on over TLS too").allSatisfy(mail -> assertThat(mail.tls).startsWith("TLSv1."));
    }

    @Test
    void mailBeforeStartTlsIsRefusedWith530AndAcceptedAfterOnBothListeners() throws Exception {
        for (Scenario scenario : List.of(Scenario.INTERNET_HOST, Scenario.M365_ADDRESS_WITHOUT_PTR)) {
            try (SmtpClient client = scenario.connect(james)) {
                client.command("EHLO client.example").expect(250);
                SmtpClient.Reply refused = client.command("MAIL FROM:<" + scenario.envelopeSender + ">");
                assertThat(refused.code).as(scenario.name()).isEqualTo(530);
                assertThat(refused.text).as(scenario.name()).isEqualTo("530 5.7.0 Must issue a STARTTLS command first");
                assertThat(client.command("RCPT TO:<" + Scenario.RECIPIENT + ">").code).as("no transaction: %s", scenario).isEqualTo(503);

                client.startTls(TRUST_GATEWAY_CA, TestPki.GATEWAY_NAME);
                client.command("EHLO client.example").expect(250);
                assertThat(client.command("MAIL FROM:<" + scenario.envelopeSender + ">").code).as(scenario.name()).isEqualTo(250);
                client.command("RSET").expect(250);
            }
        }
    }

    /** A TLS 1.1 ClientHello, written by hand as the JDK no longer sends one, gets a protocol_version alert. */
    @Test
    void theListenersRefuseTlsOlderThan1_2() throws Exception {
        for (Scenario scenario : List.of(Scenario.INTERNET_HOST, Scenario.M365_ADDRESS_WITHOUT_PTR)) {
            try (SmtpClient client = scenario.connect(james)) {
                byte[] answer = client.startTlsRaw(clientHello(0x0302));

                assertThat(answer[0]).as("%s: an alert record", scenario).isEqualTo((byte) 21);
                assertThat(answer[answer.length - 1]).as("%s: protocol_version (70)", scenario).isEqualTo((byte) 70);
            }
        }
    }

    /** The same hand-made ClientHello for TLS 1.2 gets a ServerHello: the refusal above is about the version. */
    @Test
    void aHandMadeTls12ClientHelloIsAnsweredWithAServerHello() throws Exception {
        try (SmtpClient client = Scenario.INTERNET_HOST.connect(james)) {
            byte[] answer = client.startTlsRaw(clientHello(0x0303));

            assertThat(answer[0]).as("a handshake record").isEqualTo((byte) 22);
            assertThat(answer[5]).as("server_hello").isEqualTo((byte) 2);
        }
    }

    /**
     * A minimal ClientHello (RFC 5246, 7.4.1.2) of the given version offering
     * TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 and TLS_RSA_WITH_AES_128_CBC_SHA, with the elliptic curve
     * and signature extensions a TLS 1.2 server needs.
     */
    private static byte[] clientHello(int version) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(version >> 8);
        body.write(version);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        body.writeBytes(random);
        body.write(0); // no session id
        body.writeBytes(new byte[] {0, 4, (byte) 0xc0, 0x2f, 0x00, 0x2f});
        body.writeBytes(new byte[] {1, 0}); // no compression
        byte[] extensions = {
            0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
            0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
            0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x01}; // signature_algorithms: rsa_pkcs1_sha256
        body.write(extensions.length >> 8);
        body.write(extensions.length);
        body.writeBytes(extensions);
        byte[] hello = body.toByteArray();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[] {22, 0x03, 0x01});
        int handshakeLength = hello.length + 4;
        record.write(handshakeLength >> 8);
        record.write(handshakeLength);
        record.write(1); // client_hello
        record.writeBytes(new byte[] {0, (byte) (hello.length >> 8), (byte) hello.length});
        record.writeBytes(hello);
        return record.toByteArray();
    }
}
