package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
import org.relayguard.tools.harness.WebAdmin;

/**
 * The tenant identity from the SMTP session (XOORG) on a real James 3.8.1 with the shipped
 * configuration, in enforce mode so that "denied" means quarantined and not relayed: the EHLO
 * extension per listener, the MAIL parameter and its validation, and the two modes of the
 * hardened profile. Exchange Online is played by a raw SMTP client from the loopback address the
 * hosts file names {@code mail-x.outbound.protection.outlook.com}.
 */
class XoorgTest {
    static final String ATTRIBUTE = "org.relayguard.xoorg";
    static final String RECIPIENT = Scenario.RECIPIENT;
    static final String MODE_ENTITY = "<!ENTITY xoorgMode \"default\">";

    /** A message told apart by its scenario header, with any extra header lines. */
    static String message(String id, String... headers) {
        StringBuilder message = new StringBuilder()
            .append("From: a@contoso.com\r\n")
            .append("To: ").append(RECIPIENT).append("\r\n")
            .append("Subject: XOORG ").append(id).append("\r\n")
            .append("Message-ID: <").append(id).append("@relayguard.test>\r\n")
            .append(Scenario.SCENARIO_HEADER).append(": ").append(id).append("\r\n");
        for (String header : headers) {
            message.append(header).append("\r\n");
        }
        return message.append("\r\nXOORG test ").append(id).append(".\r\n").toString();
    }

    static SmtpClient fromExchangeOnline(JamesServer james) throws IOException {
        return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty());
    }

    static void sendFromExchangeOnline(JamesServer james, String mailFrom, String mailParameters, String message) throws IOException {
        try (SmtpClient client = fromExchangeOnline(james)) {
            assertThat(client.send(mailFrom, mailParameters, List.of(RECIPIENT), message).code).isEqualTo(250);
        }
    }

    /** The quarantined mail with this scenario header, as webadmin shows it with its attributes. */
    static JsonNode quarantined(JamesServer james, String id) {
        WebAdmin webAdmin = james.webAdmin();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            if (Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), Scenario.SCENARIO_HEADER).equals(id)) {
                return webAdmin.mail(JamesServer.QUARANTINE, key);
            }
        }
        throw new AssertionError("no quarantined mail " + id);
    }

    static void assertRelayed(Outcomes outcomes, String id) {
        assertThat(outcomes.relayed(id)).as("%s relayed (%s)", id, outcomes).isEqualTo(1);
        assertThat(outcomes.quarantined(id)).as("%s quarantined (%s)", id, outcomes).isZero();
    }

    static void assertDenied(Outcomes outcomes, String id) {
        assertThat(outcomes.quarantined(id)).as("%s quarantined (%s)", id, outcomes).isEqualTo(1);
        assertThat(outcomes.relayed(id)).as("%s relayed (%s)", id, outcomes).isZero();
    }

    /**
     * The shipped configuration (mode default), except that the proxied listener's handler chain
     * loses the XOORG handler, as an operator would remove it from a listener.
     */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class DefaultMode {
        private NextHops hops;
        private JamesServer james;

        @BeforeAll
        void startGateway() throws Exception {
            hops = NextHops.start();
            james = JamesServer.builder().enforce(true).nextHops(hops).prepare();
            assertThat(Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8))
                .as("the shipped configuration runs XOORG in mode default")
                .contains(MODE_ENTITY);
            removeXoorgFromTheProxiedListener(james.conf("smtpserver.xml"));
            james.start();
        }

        private void removeXoorgFromTheProxiedListener(Path smtpServer) throws IOException {
            String xml = Files.readString(smtpServer, StandardCharsets.UTF_8);
            int proxied = xml.indexOf("<jmxName>smtpserver-proxied</jmxName>");
            String handler = "<handler class=\"org.relayguard.smtp.XoorgExtension\"/>";
            assertThat(xml.indexOf(handler, proxied)).as("the proxied listener ships with XOORG").isPositive();
            Files.writeString(smtpServer, xml.substring(0, proxied) + xml.substring(proxied).replace(handler, ""), StandardCharsets.UTF_8);
        }

        @AfterAll
        void stopGateway() {
            james.close();
            hops.close();
        }

        @Test
        void ehloListsXoorgOnlyOnTheListenerWhoseHandlerChainHasIt() throws Exception {
            try (SmtpClient client = fromExchangeOnline(james)) {
                assertThat(client.command("EHLO client.example").text.lines()).contains("250-XOORG");
            }
            try (SmtpClient client = SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR))) {
                SmtpClient.Reply ehlo = client.command("EHLO client.example");
                assertThat(ehlo.code).isEqualTo(250);
                assertThat(ehlo.text).doesNotContain("XOORG");
            }
        }

        @Test
        void ourTenantInTheSessionRelaysWhateverTheHeadersSay() throws Exception {
            // No X-OriginatorOrg at all: the header rules alone would deny this mail.
            sendFromExchangeOnline(james, "a@contoso.com", "XOORG=contoso.onmicrosoft.com", message("default-our-xoorg"));
            sendFromExchangeOnline(james, "a@evil.example", "XOORG=CONTOSO.com", message("default-our-xoorg-any-case", "X-OriginatorOrg: evil.onmicrosoft.com"));

            Outcomes outcomes = Outcomes.await(james, hops, 2, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertRelayed(outcomes, "default-our-xoorg");
            assertRelayed(outcomes, "default-our-xoorg-any-case");
        }

        @Test
        void aHeaderClaimingOurOrganizationCannotOverrideAForeignSessionValue() throws Exception {
            sendFromExchangeOnline(james, "a@contoso.com", "XOORG=evil.onmicrosoft.com", message("default-foreign-xoorg",
                "X-OriginatorOrg: contoso.com",
                "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent"));

            Outcomes outcomes = Outcomes.await(james, hops, 0, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertDenied(outcomes, "default-foreign-xoorg");
            assertThat(quarantined(james, "default-foreign-xoorg").get("attributes").get(ATTRIBUTE).asText())
                .isEqualTo("evil.onmicrosoft.com");
        }

        @Test
        void withoutXoorgTheHeaderRulesDecideAsBefore() throws Exception {
            assertThat(Scenario.OUR_SENDER_OUR_ORG.sendTo(james).code).isEqualTo(250);
            assertThat(Scenario.OUR_SENDER_FOREIGN_ORG.sendTo(james).code).isEqualTo(250);

            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertRelayed(outcomes, Scenario.OUR_SENDER_OUR_ORG.name());
            assertDenied(outcomes, Scenario.OUR_SENDER_FOREIGN_ORG.name());
            assertThat(quarantined(james, Scenario.OUR_SENDER_FOREIGN_ORG.name()).get("attributes").has(ATTRIBUTE)).isFalse();
        }

        @Test
        void aListenerWithoutTheHandlerIgnoresXoorgAndTheHeaderRulesDecide() throws Exception {
            try (SmtpClient client = SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR))) {
                assertThat(client.send("a@evil.example", "XOORG=contoso.com", List.of(RECIPIENT),
                    message("proxied-xoorg-ignored", "X-OriginatorOrg: evil.onmicrosoft.com")).code).isEqualTo(250);
            }

            Outcomes outcomes = Outcomes.await(james, hops, 0, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertDenied(outcomes, "proxied-xoorg-ignored");
            assertThat(quarantined(james, "proxied-xoorg-ignored").get("attributes").has(ATTRIBUTE)).isFalse();
        }

        @Test
        void aMalformedXoorgGets501AndNothingIsStored() throws Exception {
            try (SmtpClient client = fromExchangeOnline(james)) {
                client.command("EHLO client.example");
                for (String malformed : List.of("XOORG=contoso..com", "XOORG=", "XOORG=192.0.2.1", "XOORG=contoso.com+ZZ", "XOORG=a@contoso.com",
                    "XOORG=contoso.com XOORG=contoso.onmicrosoft.com")) {
                    SmtpClient.Reply reply = client.command("MAIL FROM:<a@evil.example> " + malformed);
                    assertThat(reply.code).as(malformed).isEqualTo(501);
                    assertThat(reply.text).as(malformed).startsWith("501 5.5.4 XOORG");
                }
                // A good XOORG on a MAIL that James refuses for another reason must not stick either.
                assertThat(client.command("MAIL FROM:<a@evil.example> XOORG=contoso.com SIZE=abc").code).isEqualTo(501);

                // The same session, no new EHLO: this mail has no XOORG, so the header rules decide.
                assertThat(client.transaction("a@evil.example", "", List.of(RECIPIENT),
                    message("malformed-then-none", "X-OriginatorOrg: evil.onmicrosoft.com")).code).isEqualTo(250);
            }

            Outcomes outcomes = Outcomes.await(james, hops, 0, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertDenied(outcomes, "malformed-then-none");
            assertThat(quarantined(james, "malformed-then-none").get("attributes").has(ATTRIBUTE)).isFalse();
        }
    }

    /** Strict mode, turned on in the settings block as the README says. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class StrictMode {
        private NextHops hops;
        private JamesServer james;

        @BeforeAll
        void startGateway() throws Exception {
            hops = NextHops.start();
            james = JamesServer.builder().enforce(true).nextHops(hops).prepare();
            Path mailetContainer = james.conf("mailetcontainer.xml");
            Files.writeString(mailetContainer, Files.readString(mailetContainer, StandardCharsets.UTF_8)
                .replace(MODE_ENTITY, "<!ENTITY xoorgMode \"strict\">"), StandardCharsets.UTF_8);
            james.start();
        }

        @AfterAll
        void stopGateway() {
            james.close();
            hops.close();
        }

        @Test
        void ourTenantInTheSessionRelays() throws Exception {
            sendFromExchangeOnline(james, "a@contoso.com", "XOORG=contoso.onmicrosoft.com", message("strict-our-xoorg"));
            sendFromExchangeOnline(james, "a@contoso.com", "XOORG=contoso+2Ecom", message("strict-our-xoorg-xtext", "X-OriginatorOrg: contoso.com"));

            Outcomes outcomes = Outcomes.await(james, hops, 2, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertRelayed(outcomes, "strict-our-xoorg");
            assertRelayed(outcomes, "strict-our-xoorg-xtext");
        }

        @Test
        void aForeignOrMissingXoorgIsDeniedWhateverTheHeadersSay() throws Exception {
            sendFromExchangeOnline(james, "a@contoso.com", "XOORG=evil.onmicrosoft.com", message("strict-foreign-xoorg", "X-OriginatorOrg: contoso.com"));
            // Rows that relay without XOORG: our org in the header; the mailbox-rules forward from our domain.
            assertThat(Scenario.OUR_SENDER_OUR_ORG.sendTo(james).code).isEqualTo(250);
            assertThat(Scenario.SRS_FORWARD_FROM_OUR_DOMAIN.sendTo(james).code).isEqualTo(250);
            assertThat(Scenario.M365_ADDRESS_WITHOUT_PTR.sendTo(james).code).isEqualTo(250);

            Outcomes outcomes = Outcomes.await(james, hops, 0, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertDenied(outcomes, "strict-foreign-xoorg");
            assertDenied(outcomes, Scenario.OUR_SENDER_OUR_ORG.name());
            assertDenied(outcomes, Scenario.SRS_FORWARD_FROM_OUR_DOMAIN.name());
            assertDenied(outcomes, Scenario.M365_ADDRESS_WITHOUT_PTR.name());
            assertThat(quarantined(james, "strict-foreign-xoorg").get("attributes").get(ATTRIBUTE).asText()).isEqualTo("evil.onmicrosoft.com");
            assertThat(quarantined(james, Scenario.OUR_SENDER_OUR_ORG.name()).get("attributes").has(ATTRIBUTE)).isFalse();
        }

        @Test
        void mailThatDoesNotComeFromMicrosoft365IsUntouched() throws Exception {
            assertThat(Scenario.INTERNET_HOST.sendTo(james).code).isEqualTo(250);

            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertRelayed(outcomes, Scenario.INTERNET_HOST.name());
        }
    }

    @Test
    void anUnknownModeStopsJamesNamingTheMissingProcessor() throws Exception {
        try (JamesServer james = JamesServer.builder().env("RELAYGUARD_XOORG_MODE", "strikt").prepare()) {
            String log = james.startExpectingFailure();

            assertThat(log)
                .contains("undefined processors: [m365_xoorg_mode_strikt]")
                .contains("Fatal error while starting James");
        }
    }
}
