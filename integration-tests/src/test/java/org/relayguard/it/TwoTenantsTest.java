package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.harness.WebAdmin;

/**
 * Two Microsoft 365 tenants behind one gateway, contoso and fabrikam, configured exactly as the
 * worked example of {@code docs/tenants.md} says: the test reads the documented blocks from that
 * file and applies them to the shipped configuration, the only change being each smart host, which
 * becomes the tenant's own test SMTP server. Three next hops (one smart host per tenant, one
 * internet), so that a mail on another tenant's smart host shows. Hardened profile, enforce mode:
 * denied means quarantined and not relayed.
 */
class TwoTenantsTest {
    static final String ID = "X-Relayguard-Tenants";
    static final Path DOCS = Path.of(System.getProperty("basedir", "."), "..", "docs", "tenants.md").normalize();
    static final String CONTOSO_SMART_HOST = "contoso-com.mail.protection.outlook.com";
    static final String FABRIKAM_SMART_HOST = "fabrikam-example.mail.protection.outlook.com";
    static final String OUTSIDE = "friend@external.example";

    /** The fenced code blocks of docs/tenants.md whose first line starts with this text. */
    static String documentedBlock(String firstLineStart) throws IOException {
        Matcher blocks = Pattern.compile("(?s)```[a-z]*\\n(.*?)```").matcher(Files.readString(DOCS, StandardCharsets.UTF_8));
        List<String> found = new ArrayList<>();
        while (blocks.find()) {
            if (blocks.group(1).stripLeading().startsWith(firstLineStart)) {
                found.add(blocks.group(1).stripTrailing());
            }
        }
        assertThat(found).as("blocks of %s starting with %s", DOCS, firstLineStart).hasSize(1);
        return found.get(0);
    }

    /** The edits of the worked example, smart hosts aside. */
    static void applyWorkedExample(JamesServer james, NextHops hops) throws IOException {
        applyWorkedExample(james, hops, Function.identity());
    }

    static void applyWorkedExample(JamesServer james, NextHops hops, Function<String, String> tenantsEdit) throws IOException {
        // The worked example, not the shipped one-line description the page shows too.
        String tenants = documentedBlock("<!ENTITY tenants \"\n")
            .replace(CONTOSO_SMART_HOST, TestPki.M365_SMARTHOST_NAME + ":" + hops.tenant("contoso").port())
            .replace(FABRIKAM_SMART_HOST, TestPki.M365_SMARTHOST_NAME + ":" + hops.tenant("fabrikam").port());
        replaceOnce(james.conf("mailetcontainer.xml"), "(?m)^\\s*<!ENTITY tenantOrgs \"[^\"]*\">", documentedBlock("<!ENTITY tenantOrgs "));
        replaceOnce(james.conf("mailetcontainer.xml"), "(?m)^\\s*<!ENTITY tenants \"[^\"]*\">", tenantsEdit.apply(tenants));
        replaceOnce(james.conf("domainlist.xml"), "(?s)\\s*<domainnames>.*</domainnames>", "\n" + documentedBlock("<domainnames>"));
    }

    static void replaceOnce(Path file, String regex, String replacement) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Matcher matcher = Pattern.compile(regex).matcher(text);
        assertThat(matcher.find()).as("%s in %s", regex, file).isTrue();
        String changed = text.substring(0, matcher.start()) + replacement + text.substring(matcher.end());
        assertThat(matcher.find()).as("%s once in %s", regex, file).isFalse();
        Files.writeString(file, changed, StandardCharsets.UTF_8);
    }

    static String message(String id, String from, String to, String... headers) {
        StringBuilder message = new StringBuilder()
            .append("From: ").append(from).append("\r\n")
            .append("To: ").append(to).append("\r\n")
            .append("Subject: tenants ").append(id).append("\r\n")
            .append("Message-ID: <").append(id).append("@relayguard.test>\r\n")
            .append(ID).append(": ").append(id).append("\r\n");
        for (String header : headers) {
            message.append(header).append("\r\n");
        }
        return message.append("\r\nTwo tenants, mail ").append(id).append(".\r\n").toString();
    }

    /** A mail from Exchange Online (the loopback source the hosts file names mail-x.outbound.protection.outlook.com). */
    static void fromExchangeOnline(JamesServer james, String id, String mailFrom, String xoorg, String... headers) throws IOException {
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty())) {
            assertThat(client.send(mailFrom, xoorg == null ? "" : "XOORG=" + xoorg, List.of(OUTSIDE), message(id, mailFrom, OUTSIDE, headers)).code)
                .as(id).isEqualTo(250);
        }
    }

    /** A mail from the internet (the loopback source the hosts file names mail.example.org) for our users. */
    static void fromTheInternet(JamesServer james, String id, String... recipients) throws IOException {
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty())) {
            assertThat(client.send("b@example.org", List.of(recipients), message(id, "b@example.org", String.join(", ", recipients))).code)
                .as(id).isEqualTo(250);
        }
    }

    /** The envelope recipients of each copy of a mail a sink received. */
    static List<List<String>> copies(SmtpSink sink, String id) {
        return sink.received().stream()
            .filter(mail -> mail.header(ID).equals(id))
            .map(mail -> mail.rcptTo)
            .collect(Collectors.toList());
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class WorkedExample {
        private NextHops hops;
        private JamesServer james;

        @BeforeAll
        void startGateway() throws Exception {
            hops = NextHops.startForTenants("contoso", "fabrikam");
            james = JamesServer.builder().enforce(true).nextHops(hops).prepare();
            applyWorkedExample(james, hops);
            james.start();
        }

        @AfterAll
        void stopGateway() {
            james.close();
            hops.close();
        }

        private Outcomes settle() {
            return Outcomes.await(james, hops, 0, ID, Duration.ofSeconds(90));
        }

        private void assertRelayedOnlyToTheInternet(Outcomes outcomes, String id) {
            assertThat(copies(hops.internet(), id)).as("%s on the internet next hop (%s)", id, outcomes).hasSize(1);
            assertThat(outcomes.relayedToM365(id)).as("%s on a tenant's smart host", id).isZero();
            assertThat(outcomes.quarantined(id)).as("%s quarantined", id).isZero();
        }

        private void assertDenied(Outcomes outcomes, String id) {
            assertThat(outcomes.quarantined(id)).as("%s quarantined (%s)", id, outcomes).isEqualTo(1);
            assertThat(outcomes.relayed(id) + outcomes.relayedToM365(id)).as("%s relayed", id).isZero();
        }

        /** The decision log line of the quarantined mail with this id. */
        private Map<String, String> decisionLine(String id) {
            WebAdmin webAdmin = james.webAdmin();
            String key = webAdmin.mailKeys(JamesServer.QUARANTINE).stream()
                .filter(candidate -> Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, candidate), ID).equals(id))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no quarantined mail " + id));
            return DecisionLog.read(james.decisionLog()).stream()
                .filter(line -> key.equals(line.get("mail")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no decision line for " + id));
        }

        @Test
        @Order(1)
        void eachTenantHasADeliveryQueueOfItsOwn() {
            assertThat(james.webAdmin().queues()).containsExactlyInAnyOrder("spool", "to-internet", "to-m365-contoso", "to-m365-fabrikam");
        }

        @Test
        @Order(2)
        void inboundMailForEachTenantsDomainsReachesOnlyItsOwnSmartHost() throws Exception {
            fromTheInternet(james, "in-contoso", "user@contoso.com");
            fromTheInternet(james, "in-contoso-onmicrosoft", "user@contoso.onmicrosoft.com");
            fromTheInternet(james, "in-fabrikam", "user@fabrikam.example");
            fromTheInternet(james, "in-fabrikam-onmicrosoft", "user@Fabrikam.onmicrosoft.com");

            Outcomes outcomes = settle();

            assertThat(copies(hops.tenant("contoso"), "in-contoso")).as("%s", outcomes).containsExactly(List.of("user@contoso.com"));
            assertThat(copies(hops.tenant("contoso"), "in-contoso-onmicrosoft")).containsExactly(List.of("user@contoso.onmicrosoft.com"));
            assertThat(copies(hops.tenant("fabrikam"), "in-fabrikam")).containsExactly(List.of("user@fabrikam.example"));
            assertThat(copies(hops.tenant("fabrikam"), "in-fabrikam-onmicrosoft")).hasSize(1);
            for (String contoso : List.of("in-contoso", "in-contoso-onmicrosoft")) {
                assertThat(copies(hops.tenant("fabrikam"), contoso)).as("%s on fabrikam's smart host", contoso).isEmpty();
                assertThat(copies(hops.internet(), contoso)).as("%s on the internet", contoso).isEmpty();
            }
            for (String fabrikam : List.of("in-fabrikam", "in-fabrikam-onmicrosoft")) {
                assertThat(copies(hops.tenant("contoso"), fabrikam)).as("%s on contoso's smart host", fabrikam).isEmpty();
                assertThat(copies(hops.internet(), fabrikam)).as("%s on the internet", fabrikam).isEmpty();
            }
            assertThat(outcomes.errorRepositorySize()).isZero();
        }

        @Test
        @Order(3)
        void aMailForBothTenantsIsSplitOneCopyToEachSmartHost() throws Exception {
            fromTheInternet(james, "in-both", "a@contoso.com", "b@fabrikam.example", "c@contoso.onmicrosoft.com");

            Outcomes outcomes = settle();

            assertThat(copies(hops.tenant("contoso"), "in-both")).as("%s", outcomes).containsExactly(List.of("a@contoso.com", "c@contoso.onmicrosoft.com"));
            assertThat(copies(hops.tenant("fabrikam"), "in-both")).containsExactly(List.of("b@fabrikam.example"));
            assertThat(copies(hops.internet(), "in-both")).isEmpty();
        }

        @Test
        @Order(4)
        void eachTenantsOwnOutboundMailRelays() throws Exception {
            fromExchangeOnline(james, "out-contoso", "a@contoso.com", null, "X-OriginatorOrg: contoso.com");
            fromExchangeOnline(james, "out-fabrikam", "a@fabrikam.example", null, "X-OriginatorOrg: fabrikam.onmicrosoft.com");
            fromExchangeOnline(james, "out-fabrikam-xoorg", "a@fabrikam.onmicrosoft.com", "fabrikam.onmicrosoft.com", "X-OriginatorOrg: fabrikam.example");

            Outcomes outcomes = settle();

            assertRelayedOnlyToTheInternet(outcomes, "out-contoso");
            assertRelayedOnlyToTheInternet(outcomes, "out-fabrikam");
            assertRelayedOnlyToTheInternet(outcomes, "out-fabrikam-xoorg");
        }

        @Test
        @Order(5)
        void contosoSendingAsFabrikamIsDeniedWhetherIdentifiedByHeaderOrBySession() throws Exception {
            fromExchangeOnline(james, "contoso-as-fabrikam", "ceo@fabrikam.example", null, "X-OriginatorOrg: contoso.com");
            // Its headers claim fabrikam too: the session's tenant decides.
            fromExchangeOnline(james, "contoso-as-fabrikam-xoorg", "ceo@fabrikam.example", "contoso.onmicrosoft.com",
                "X-OriginatorOrg: fabrikam.example");

            Outcomes outcomes = settle();

            assertDenied(outcomes, "contoso-as-fabrikam");
            assertDenied(outcomes, "contoso-as-fabrikam-xoorg");
            assertThat(decisionLine("contoso-as-fabrikam"))
                .containsEntry("rule", "tenant-binding")
                .containsEntry("route", "m365_mail")
                .containsEntry("condition", "tenant-mismatch")
                .containsEntry("sender", "ceo@fabrikam.example")
                .containsEntry("tenant", "contoso");
            assertThat(decisionLine("contoso-as-fabrikam-xoorg"))
                .containsEntry("rule", "tenant-binding")
                .containsEntry("route", "m365_xoorg")
                .containsEntry("condition", "tenant-mismatch")
                .containsEntry("xoorg", "contoso.onmicrosoft.com")
                .containsEntry("tenant", "contoso");
        }

        @Test
        @Order(6)
        void aFabrikamMailboxRulesForwardRelays() throws Exception {
            String srs = "bounces+SRS=k1=news.example.net=user@fabrikam.example";
            fromExchangeOnline(james, "fabrikam-forward", srs, null,
                "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "X-OriginatorOrg: news.example.net");
            fromExchangeOnline(james, "fabrikam-forward-xoorg", srs, "fabrikam.onmicrosoft.com",
                "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "X-OriginatorOrg: news.example.net");

            // A fabrikam user's inbox rule forwards what a contoso user wrote: the author's org stays in the header.
            fromExchangeOnline(james, "fabrikam-forwards-contoso", "bounces+SRS=k2=contoso.com=user@fabrikam.example", null,
                "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "X-OriginatorOrg: contoso.com");
            // contoso dressing its mail as a fabrikam forward: the session's tenant gives it away.
            fromExchangeOnline(james, "contoso-forged-forward-xoorg", "bounces+SRS=k3=x.example=ceo@fabrikam.example",
                "contoso.onmicrosoft.com", "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "X-OriginatorOrg: contoso.com");

            Outcomes outcomes = settle();

            assertRelayedOnlyToTheInternet(outcomes, "fabrikam-forward");
            assertRelayedOnlyToTheInternet(outcomes, "fabrikam-forward-xoorg");
            assertRelayedOnlyToTheInternet(outcomes, "fabrikam-forwards-contoso");
            assertDenied(outcomes, "contoso-forged-forward-xoorg");
            assertThat(decisionLine("contoso-forged-forward-xoorg"))
                .containsEntry("rule", "tenant-binding")
                .containsEntry("route", "m365_xoorg")
                .containsEntry("tenant", "contoso");
        }

        @Test
        @Order(7)
        void aForeignTenantIsDeniedAsBefore() throws Exception {
            fromExchangeOnline(james, "foreign", "a@evil.example", null, "X-OriginatorOrg: evil.onmicrosoft.com");
            fromExchangeOnline(james, "foreign-as-fabrikam", "ceo@fabrikam.example", null, "X-OriginatorOrg: evil.onmicrosoft.com");

            Outcomes outcomes = settle();

            assertDenied(outcomes, "foreign");
            assertDenied(outcomes, "foreign-as-fabrikam");
            assertThat(decisionLine("foreign")).containsEntry("rule", "x-originatororg").containsEntry("condition", "org-not-allowed")
                .containsEntry("tenant", "-");
            assertThat(decisionLine("foreign-as-fabrikam")).containsEntry("rule", "x-originatororg").containsEntry("tenant", "-");
        }

        @Test
        @Order(8)
        void theReportCountsTheQuarantineByTenantAsTheDecisionLogNamesIt() throws Exception {
            fromExchangeOnline(james, "report-contoso-as-fabrikam", "sales@fabrikam.onmicrosoft.com", null, "X-OriginatorOrg: contoso.onmicrosoft.com");
            fromExchangeOnline(james, "report-fabrikam-as-contoso", "sales@contoso.com", "fabrikam.example");
            settle();

            JsonNode report = james.webAdmin().get("/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/report?limit=100",
                "application/json").expect(200).json();

            Map<String, Long> logged = DecisionLog.read(james.decisionLog()).stream()
                .filter(line -> line.get("decision").equals("deny"))
                .collect(Collectors.groupingBy(line -> line.get("tenant"), Collectors.counting()));
            Map<String, Long> reported = new HashMap<>();
            report.at("/groups/tenant/groups").forEach(group ->
                reported.put(group.get("value").isNull() ? "-" : group.get("value").asText(), group.get("count").asLong()));
            assertThat(reported).as("the report's tenant dimension, the decision log's tenant= (%s)", report.at("/groups/tenant"))
                .isEqualTo(logged);
            assertThat(reported).containsKeys("contoso", "fabrikam");
            assertThat(report.at("/tenants/names").toString()).isEqualTo("[\"contoso\",\"fabrikam\"]");
            assertThat(report.at("/conditions/tenant-mismatch").asLong()).isEqualTo(logged.get("contoso") + logged.get("fabrikam"));
        }

        @Test
        @Order(9)
        void mailForADomainNoTenantOwnsWaitsInTheErrorRepositoryUntilATenantListsIt() throws Exception {
            WebAdmin webAdmin = james.webAdmin();
            webAdmin.addDomain("northwind.example");
            fromTheInternet(james, "in-unowned", "user@northwind.example", "user@contoso.com");

            Outcomes waiting = settle();

            assertThat(copies(hops.tenant("contoso"), "in-unowned")).as("the owned recipient (%s)", waiting).containsExactly(List.of("user@contoso.com"));
            assertThat(copies(hops.tenant("fabrikam"), "in-unowned")).isEmpty();
            List<String> errors = webAdmin.mailKeys(JamesServer.ERROR_REPOSITORY);
            assertThat(errors).hasSize(1);
            JsonNode error = webAdmin.mail(JamesServer.ERROR_REPOSITORY, errors.get(0));
            assertThat(error.get("recipients").toString()).isEqualTo("[\"user@northwind.example\"]");
            assertThat(error.get("error").asText()).startsWith("TenantDelivery: no tenant owns northwind.example: ");
            assertThat(hops.internet().received()).as("the sender is told, by the error processor's Bounce")
                .anySatisfy(mail -> assertThat(mail.rcptTo).containsExactly("b@example.org"));

            // The recovery of docs/tenants.md: the domain in a tenant's domains, a restart, a reprocess into to_m365.
            james.stop();
            replaceOnce(james.conf("mailetcontainer.xml"), "domains fabrikam.example, fabrikam.onmicrosoft.com;",
                "domains fabrikam.example, fabrikam.onmicrosoft.com, northwind.example;");
            james.start();
            assertThat(james.webAdmin().reprocessAll(JamesServer.ERROR_REPOSITORY, "to_m365").get("status").asText()).isEqualTo("completed");

            Outcomes recovered = settle();

            assertThat(copies(hops.tenant("fabrikam"), "in-unowned")).as("%s", recovered).containsExactly(List.of("user@northwind.example"));
            assertThat(copies(hops.tenant("contoso"), "in-unowned")).as("delivered once").hasSize(1);
            assertThat(recovered.errorRepositorySize()).isZero();
        }
    }

    /**
     * Guice builds the quarantine report before James's mailet container starts the mailets: the
     * report's reading of the description is the first to refuse it.
     */
    private static final String REPORT = "Relay Guard quarantine report (LogDecision parameter tenants): ";

    private interface Edit {
        void apply(JamesServer james, NextHops hops) throws IOException;
    }

    /** Starts a gateway configured as the worked example and then edited; returns James's log, which must show a refusal. */
    private static String refusedToStart(Edit edit) throws Exception {
        try (NextHops hops = NextHops.startForTenants("contoso", "fabrikam");
             JamesServer james = JamesServer.builder().nextHops(hops).prepare()) {
            applyWorkedExample(james, hops);
            edit.apply(james, hops);

            String log = james.startExpectingFailure();

            assertThat(log).contains("Fatal error while starting James");
            return log;
        }
    }

    @Test
    void aDomainInTwoTenantsStopsJamesNamingTheTenant() throws Exception {
        String log = refusedToStart((james, hops) -> replaceOnce(james.conf("mailetcontainer.xml"),
            "domains fabrikam.example, fabrikam.onmicrosoft.com;", "domains fabrikam.example, fabrikam.onmicrosoft.com, contoso.com;"));

        assertThat(log).contains(REPORT + "tenant 'fabrikam': domain 'contoso.com' is claimed by tenant 'contoso' too");
    }

    @Test
    void aTenantWithoutSmartHostStopsJamesNamingTheTenant() throws Exception {
        String log = refusedToStart((james, hops) -> replaceOnce(james.conf("mailetcontainer.xml"),
            ";\\s*smarthost " + TestPki.M365_SMARTHOST_NAME + ":" + hops.tenant("fabrikam").port(), ""));

        assertThat(log).contains(REPORT + "tenant 'fabrikam': no smarthost");
    }

    @Test
    void anEmptyTenantStopsJamesNamingTheTenant() throws Exception {
        String log = refusedToStart((james, hops) -> replaceOnce(james.conf("mailetcontainer.xml"),
            "(?s)fabrikam:[^\"]*\">", "fabrikam:\">"));

        assertThat(log).contains(REPORT + "tenant 'fabrikam': empty (it needs domains and a smarthost)");
    }

    @Test
    void tenantOrgsThatAreNotTheTenantsOrgsStopJamesNamingTheValueAndTheTenant() throws Exception {
        String log = refusedToStart((james, hops) -> replaceOnce(james.conf("mailetcontainer.xml"),
            ", fabrikam.example\">", "\">"));

        assertThat(log).contains("LogDecision: org 'fabrikam.example' of tenant 'fabrikam' is not in 'allowedOrgs'");
    }
}
