package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;

/**
 * The switch of Exchange Online's allow-relay ({@code RELAYGUARD_M365_ALLOW_RELAY}, entity
 * {@code m365AllowRelay} of smtpserver.xml) on a real James 3.8.1 with the shipped configuration,
 * both settings, in enforce mode so that "denied" means quarantined and not relayed. Exchange
 * Online is a client with the address {@value JamesServer#M365_IP_WITHOUT_PTR} (in Microsoft's
 * ranges) through the PROXY-protocol listener; two next hops tell the internet route from the
 * Microsoft 365 smart host.
 */
class M365AllowRelayTest {
    static final String REFUSED_METRIC = "relayguard_m365_relay_refused_total";
    static final String OUR_DOMAIN_RECIPIENT = "someone@contoso.com";

    static String message(String id, String recipient, String originatorOrg) {
        return "From: a@contoso.com\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: allow-relay " + id + "\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\n"
            + Scenario.SCENARIO_HEADER + ": " + id + "\r\n"
            + "X-OriginatorOrg: " + originatorOrg + "\r\n"
            + "\r\nallow-relay test " + id + ".\r\n";
    }

    static SmtpClient fromExchangeOnline(JamesServer james) throws IOException {
        return SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR));
    }

    static List<Map<String, String>> refusals(JamesServer james) {
        return DecisionLog.read(james.decisionLog()).stream()
            .filter(line -> "refuse".equals(line.get("decision")))
            .collect(Collectors.toList());
    }

    static JamesServer gateway(NextHops hops, Optional<String> allowRelay) throws IOException {
        JamesServer.Builder builder = JamesServer.builder().enforce(true).nextHops(hops);
        allowRelay.ifPresent(value -> builder.env("RELAYGUARD_M365_ALLOW_RELAY", value));
        return builder.start();
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AllowRelayOff {
        private NextHops hops;
        private JamesServer james;

        @BeforeAll
        void startGateway() throws Exception {
            hops = NextHops.start();
            james = gateway(hops, Optional.of("false"));
        }

        @AfterAll
        void stopGateway() {
            james.close();
            hops.close();
        }

        @Test
        void relayFromAnExchangeOnlineAddressIsRefusedAtRcptLoggedAndCounted() throws Exception {
            double before = james.webAdmin().metrics().getOrDefault(REFUSED_METRIC, 0.0);
            try (SmtpClient client = fromExchangeOnline(james)) {
                client.ehlo();
                client.command("MAIL FROM:<a@contoso.com>").expect(250);
                SmtpClient.Reply rcpt = client.command("RCPT TO:<" + Scenario.RECIPIENT + ">");

                assertThat(rcpt.code).isEqualTo(550);
                assertThat(rcpt.text).startsWith("550 5.7.1 Relay from Microsoft 365 is turned off on this gateway");
                // No recipient left: DATA has nothing to deliver.
                assertThat(client.command("DATA").code).isEqualTo(503);
            }

            assertThat(james.webAdmin().metrics()).containsEntry(REFUSED_METRIC, before + 1);
            assertThat(refusals(james)).anySatisfy(line -> assertThat(line)
                .containsEntry("rule", "m365-allow-relay")
                .containsEntry("condition", "allow-relay-off")
                .containsEntry("action", "reject-rcpt")
                .containsEntry("remoteIp", JamesServer.M365_IP_WITHOUT_PTR)
                .containsEntry("sender", "a@contoso.com")
                .containsEntry("recipientDomain", "external.example"));
            assertThat(hops.internet().received()).as("nothing of a@contoso.com reached the internet route")
                .noneMatch(mail -> mail.mailFrom.contains("a@contoso.com"));
        }

        @Test
        void mailForOurDomainsIsStillAcceptedAndGoesToTheSmartHost() throws Exception {
            String id = "off-our-domain";
            try (SmtpClient client = fromExchangeOnline(james)) {
                // One transaction with an internet and one of our recipients: only ours is accepted.
                client.ehlo();
                client.command("MAIL FROM:<a@contoso.com>").expect(250);
                assertThat(client.command("RCPT TO:<" + Scenario.RECIPIENT + ">").code).isEqualTo(550);
                client.command("RCPT TO:<" + OUR_DOMAIN_RECIPIENT + ">").expect(250);
                client.command("DATA").expect(354);
                byte[] data = SmtpClient.dataLines(message(id, OUR_DOMAIN_RECIPIENT, "contoso.com").getBytes(StandardCharsets.US_ASCII));
                assertThat(client.command(new String(data, StandardCharsets.US_ASCII) + ".").code).isEqualTo(250);
            }

            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertThat(outcomes.relayedToM365(id)).as("%s", outcomes).isEqualTo(1);
            assertThat(outcomes.relayed(id)).as("%s", outcomes).isZero();
            assertThat(outcomes.quarantined(id)).as("%s", outcomes).isZero();
        }

        @Test
        void anotherClientThatMayRelayStillRelays() throws Exception {
            // The switch concerns Microsoft's ranges only: this host (loopback) keeps its relay.
            assertThat(Scenario.INTERNET_HOST.sendTo(james).code).isEqualTo(250);

            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertThat(outcomes.relayed(Scenario.INTERNET_HOST.name())).as("%s", outcomes).isEqualTo(1);
        }
    }

    /** The default: the shipped setting, no environment override. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AllowRelayOn {
        private NextHops hops;
        private JamesServer james;

        @BeforeAll
        void startGateway() throws Exception {
            hops = NextHops.start();
            james = gateway(hops, Optional.empty());
        }

        @AfterAll
        void stopGateway() {
            james.close();
            hops.close();
        }

        @Test
        void relayFromAnExchangeOnlineAddressIsAcceptedAndTheRulesDecide() throws Exception {
            try (SmtpClient client = fromExchangeOnline(james)) {
                assertThat(client.send("a@contoso.com", List.of(Scenario.RECIPIENT), message("on-our-tenant", Scenario.RECIPIENT, "contoso.com")).code)
                    .isEqualTo(250);
            }
            try (SmtpClient client = fromExchangeOnline(james)) {
                assertThat(client.send("a@evil.example", List.of(Scenario.RECIPIENT), message("on-foreign-tenant", Scenario.RECIPIENT, "evil.onmicrosoft.com")).code)
                    .isEqualTo(250);
            }

            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertThat(outcomes.relayed("on-our-tenant")).as("%s", outcomes).isEqualTo(1);
            assertThat(outcomes.quarantined("on-our-tenant")).as("%s", outcomes).isZero();
            assertThat(outcomes.quarantined("on-foreign-tenant")).as("%s", outcomes).isEqualTo(1);
            assertThat(outcomes.relayed("on-foreign-tenant")).as("%s", outcomes).isZero();
            assertThat(refusals(james)).isEmpty();
            assertThat(james.webAdmin().metrics()).containsEntry(REFUSED_METRIC, 0.0);
        }

        @Test
        void mailForOurDomainsIsAcceptedAndGoesToTheSmartHost() throws Exception {
            String id = "on-our-domain";
            try (SmtpClient client = fromExchangeOnline(james)) {
                assertThat(client.send("a@contoso.com", List.of(OUR_DOMAIN_RECIPIENT), message(id, OUR_DOMAIN_RECIPIENT, "contoso.com")).code)
                    .isEqualTo(250);
            }

            Outcomes outcomes = Outcomes.await(james, hops, 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

            assertThat(outcomes.relayedToM365(id)).as("%s", outcomes).isEqualTo(1);
            assertThat(outcomes.relayed(id)).as("%s", outcomes).isZero();
        }
    }

    @Test
    void aValueOtherThanTrueOrFalseStopsJamesNamingTheHandlerAndTheParameter() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).env("RELAYGUARD_M365_ALLOW_RELAY", "no").prepare()) {
            String log = james.startExpectingFailure();

            assertThat(log).contains("M365AllowRelay: parameter 'allowRelay' must be 'true' or 'false', got 'no'");
        }
    }
}
