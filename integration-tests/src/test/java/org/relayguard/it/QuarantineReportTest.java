package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.WebAdmin;

/**
 * The quarantine report, the decision log and the counters on a real James 3.8.1 (hardened profile,
 * audit mode, webadmin authentication on), checked against what the quarantine really holds as
 * {@code /mailRepositories} shows it, and the what-if checked against what James decides once the
 * candidates are really added to the allowed list.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuarantineReportTest {
    private static final String ID_HEADER = "X-Relayguard-Test";
    private static final String REPORT = "/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/report";
    private static final String TENANT_ORGS = "<!ENTITY tenantOrgs \"contoso.onmicrosoft.com, contoso.com\">";
    private static final String BODY_MARKER = "Confidential body text";

    /** One mail the test sends: where from, envelope, headers, and whether the gateway must deny it. */
    private static final class Sent {
        final String id;
        final boolean viaProxy;
        final boolean fromInternet;
        final String sender;
        final List<String> recipients;
        final List<String> headers;
        final String condition;
        final String xoorg;

        Sent(String id, boolean viaProxy, boolean fromInternet, String sender, List<String> recipients, String condition, String... headers) {
            this(id, viaProxy, fromInternet, sender, recipients, condition, null, List.of(headers));
        }

        Sent(String id, boolean viaProxy, boolean fromInternet, String sender, List<String> recipients, String condition, String xoorg,
             List<String> headers) {
            this.id = id;
            this.viaProxy = viaProxy;
            this.fromInternet = fromInternet;
            this.sender = sender;
            this.recipients = recipients;
            this.condition = condition;
            this.xoorg = xoorg;
            this.headers = headers;
        }

        static Sent m365(String id, String sender, String condition, String... headers) {
            return new Sent(id, false, false, sender, List.of("someone@external.example"), condition, headers);
        }

        /** Exchange Online naming the sending tenant in the SMTP session: that rule decides. */
        static Sent withXoorg(String id, String xoorg, String sender, String condition, String... headers) {
            return new Sent(id, false, false, sender, List.of("someone@external.example"), condition, xoorg, List.of(headers));
        }

        String rule() {
            return xoorg == null ? "x-originatororg" : "xoorg";
        }

        boolean denied() {
            return condition != null;
        }

        String message(String idPrefix) {
            StringBuilder message = new StringBuilder()
                .append("From: ").append(sender.isEmpty() ? "mailer-daemon@evil.example" : sender).append("\r\n")
                .append("To: ").append(String.join(", ", recipients)).append("\r\n")
                .append("Subject: report test ").append(id).append("\r\n")
                .append("Message-ID: <").append(idPrefix).append(id).append("@relayguard.test>\r\n")
                .append(ID_HEADER).append(": ").append(idPrefix).append(id).append("\r\n");
            headers.forEach(header -> message.append(header).append("\r\n"));
            return message.append("\r\n").append(BODY_MARKER).append(" of ").append(id).append(".\r\n").toString();
        }

        void sendTo(JamesServer james, String idPrefix) throws Exception {
            SmtpClient client;
            if (viaProxy) {
                client = SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR));
            } else {
                client = SmtpClient.connect(james.smtpPort(),
                    Optional.of(fromInternet ? JamesServer.INTERNET_HOST_SOURCE : JamesServer.M365_HOST_SOURCE), Optional.empty());
            }
            try (client) {
                assertThat(client.send(sender, xoorg == null ? "" : "XOORG=" + xoorg, recipients, message(idPrefix)).code).as(id).isEqualTo(250);
            }
        }
    }

    private static final List<Sent> MAILS = List.of(
        // Another tenant, its org written three ways: one group.
        Sent.m365("E1", "a@evil.example", "org-not-allowed", "X-OriginatorOrg: evil.onmicrosoft.com"),
        Sent.m365("E2", "a@evil.example", "org-not-allowed", "x-originatororg: EVIL.OnMicrosoft.com"),
        Sent.m365("E3", "a@evil.example", "org-not-allowed", "X-OriginatorOrg:   Evil.onmicrosoft.COM  "),
        Sent.m365("M1", "a@evil.example", "org-not-allowed",
            "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "X-OriginatorOrg: evil.onmicrosoft.com"),
        new Sent("P1", true, false, "a@evil.example", List.of("someone@external.example"), "org-not-allowed",
            "X-OriginatorOrg: evil.onmicrosoft.com"),
        // Our second tenant, missing from tenantOrgs: the suggestion the report must make.
        Sent.m365("F1", "a@fabrikam.com", "org-not-allowed", "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
        Sent.m365("F2", "b@fabrikam.com", "org-not-allowed", "X-OriginatorOrg: Fabrikam.onmicrosoft.com"),
        Sent.m365("D1", "c@fabrikam.com", "org-not-allowed", "X-OriginatorOrg: Fabrikam.com"),
        // A forged second instance, to two recipients.
        new Sent("X1", false, false, "a@evil.example", List.of("someone@external.example", "other@external.example"),
            "org-mixed-instances", "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: evil.example"),
        Sent.m365("N1", "a@evil.example", "org-absent"),
        // The session names the tenant: our second tenant (missing), and another one forging our org header.
        Sent.withXoorg("G1", "fabrikam.onmicrosoft.com", "d@fabrikam.com", "xoorg-not-allowed", "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
        Sent.withXoorg("G2", "evil.onmicrosoft.com", "a@evil.example", "xoorg-not-allowed", "X-OriginatorOrg: contoso.com"),
        // A stranger whose tenant name looks like ours, and one named like our domain northwind.com sending as another.
        Sent.m365("L1", "a@contoso-eu.example", "org-not-allowed", "X-OriginatorOrg: contoso-eu.onmicrosoft.com"),
        Sent.m365("S1", "ceo@northwind-eu.example", "org-not-allowed", "X-OriginatorOrg: northwind.onmicrosoft.com"),
        // A tenant of ours named unlike our domains, sending as our domain northwind.com.
        Sent.m365("T1", "a@northwind.com", "org-not-allowed", "X-OriginatorOrg: tailspin.onmicrosoft.com"),
        Sent.m365("T2", "b@northwind.com", "org-not-allowed", "X-OriginatorOrg: tailspin.onmicrosoft.com"),
        // Relayed and never quarantined.
        Sent.m365("A1", "a@contoso.com", null, "X-OriginatorOrg: contoso.com"),
        new Sent("I1", false, true, "b@example.org", List.of("someone@external.example"), null));

    private NextHops hops;
    private JamesServer james;
    private WebAdmin webAdmin;
    private Map<String, String> idOfKey;

    @BeforeAll
    void runTheGatewayInAuditMode() throws Exception {
        hops = NextHops.start();
        james = JamesServer.builder().enforce(false).nextHops(hops).prepare();
        // fabrikam.com and northwind.com are our domains (Step 2), fabrikam.onmicrosoft.com was forgotten.
        Path domainList = james.conf("domainlist.xml");
        Files.writeString(domainList, Files.readString(domainList, StandardCharsets.UTF_8)
            .replace("<domainname>contoso.com</domainname>", "<domainname>contoso.com</domainname>\n        <domainname>fabrikam.com</domainname>"
                + "\n        <domainname>northwind.com</domainname>"),
            StandardCharsets.UTF_8);
        james.start();
        webAdmin = james.webAdmin();

        for (Sent mail : MAILS) {
            mail.sendTo(james, "");
        }
        Outcomes outcomes = Outcomes.await(james, hops, MAILS.size(), ID_HEADER, Duration.ofSeconds(90));
        for (Sent mail : MAILS) {
            assertThat(outcomes.quarantined(mail.id)).as("%s quarantined (%s)", mail.id, outcomes).isEqualTo(mail.denied() ? 1 : 0);
            assertThat(outcomes.relayed(mail.id)).as("%s relayed in audit mode", mail.id).isEqualTo(1);
        }
        idOfKey = new HashMap<>();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            idOfKey.put(key, Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), ID_HEADER));
        }
    }

    @AfterAll
    void stopTheGateway() {
        james.close();
        hops.close();
    }

    private JsonNode report(String query) {
        return webAdmin.get(REPORT + query, "application/json").expect(200).json();
    }

    /** Normalised as an operator would compare by eye: trimmed, one space, lower case. */
    private static List<String> headerInstances(String rawMessage, String name) {
        List<String> instances = new ArrayList<>();
        for (String line : rawMessage.split("\r?\n")) {
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                instances.add(line.substring(colon + 1).trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
            }
        }
        return instances;
    }

    /** What the quarantine holds, read through James's own /mailRepositories routes: key to dimension values. */
    private Map<String, Map<String, String>> quarantineAsWebAdminShowsIt() {
        Map<String, Map<String, String>> mails = new HashMap<>();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            JsonNode details = webAdmin.mail(JamesServer.QUARANTINE, key);
            String raw = webAdmin.rawMail(JamesServer.QUARANTINE, key);
            List<String> orgs = headerInstances(raw, "X-OriginatorOrg");
            List<String> sources = headerInstances(raw, "X-MS-Exchange-Generated-Message-Source");
            Map<String, String> values = new HashMap<>();
            values.put("originatorOrg", orgs.isEmpty() ? null : String.join(", ", orgs));
            values.put("messageSource", sources.isEmpty() ? null : String.join(", ", sources));
            String sender = details.get("sender").isNull() ? "" : details.get("sender").asText();
            values.put("envelopeSenderDomain", sender.isEmpty() ? null : sender.substring(sender.indexOf('@') + 1).toLowerCase(Locale.ROOT));
            values.put("remoteHost", details.get("remoteHost").asText().toLowerCase(Locale.ROOT));
            String error = details.get("error").asText();
            values.put("rule", error.startsWith("relayguard rule=") ? error.substring("relayguard rule=".length(), error.indexOf(' ', 16)) : null);
            JsonNode xoorg = details.get("attributes").get("org.relayguard.xoorg");
            values.put("xoorg", xoorg == null ? null : xoorg.asText());
            values.put("tenant", tenant(xoorg == null ? null : xoorg.asText(), orgs));
            values.put("sender", sender.isEmpty() ? "<>" : sender);
            values.put("remoteAddr", details.get("remoteAddr").asText());
            values.put("recipients", String.valueOf(details.get("recipients").size()));
            mails.put(key, values);
        }
        return mails;
    }

    /**
     * The shipped tenant (contoso, its orgs the tenantOrgs) when the session named one of its orgs,
     * or, without a session value, when every X-OriginatorOrg instance is one of them.
     */
    private static String tenant(String xoorg, List<String> orgs) {
        Set<String> contoso = Set.of("contoso.onmicrosoft.com", "contoso.com");
        if (xoorg != null) {
            return contoso.contains(xoorg.toLowerCase(Locale.ROOT)) ? "contoso" : null;
        }
        boolean ours = !orgs.isEmpty() && orgs.stream().allMatch(org -> contoso.contains(org.trim().toLowerCase(Locale.ROOT)));
        return ours ? "contoso" : null;
    }

    private static Map<String, Long> counts(JsonNode groups) {
        Map<String, Long> counts = new HashMap<>();
        groups.forEach(group -> counts.put(group.get("value").isNull() ? null : group.get("value").asText(), group.get("count").asLong()));
        return counts;
    }

    @Test
    void theGroupsAndCountsMatchTheQuarantineExactly() {
        JsonNode report = report("?limit=1000&sampleKeys=10");
        Map<String, Map<String, String>> quarantine = quarantineAsWebAdminShowsIt();

        assertThat(report.get("mails").asLong()).isEqualTo(quarantine.size()).isEqualTo(16);
        for (String dimension : List.of("originatorOrg", "messageSource", "envelopeSenderDomain", "remoteHost", "rule", "xoorg", "tenant")) {
            Map<String, Long> expected = quarantine.values().stream()
                .collect(Collectors.groupingBy(values -> Optional.ofNullable(values.get(dimension)), Collectors.counting()))
                .entrySet().stream()
                .collect(HashMap::new, (map, e) -> map.put(e.getKey().orElse(null), e.getValue()), HashMap::putAll);
            JsonNode tally = report.at("/groups/" + dimension);
            assertThat(counts(tally.get("groups"))).as(dimension).isEqualTo(expected);
            assertThat(tally.get("distinct").asInt()).as(dimension).isEqualTo(expected.size());
            assertThat(tally.get("overflowMails").asLong()).isZero();
            // Every listed key opens a mail of its group.
            tally.get("groups").forEach(group -> group.get("keys").forEach(key -> assertThat(quarantine.get(key.asText()).get(dimension))
                .as("%s key %s", dimension, key).isEqualTo(group.get("value").isNull() ? null : group.get("value").asText())));
        }
    }

    @Test
    void caseVariantsCollapseAndTheForgedSecondInstanceShowsUpAsItsOwnGroup() {
        JsonNode report = report("");

        assertThat(counts(report.at("/groups/originatorOrg/groups"))).containsOnly(
            entry("evil.onmicrosoft.com", 5L),
            entry("fabrikam.onmicrosoft.com", 3L),
            entry("fabrikam.com", 1L),
            entry("contoso.com, evil.example", 1L),
            entry("contoso.com", 1L),
            entry("contoso-eu.onmicrosoft.com", 1L),
            entry("northwind.onmicrosoft.com", 1L),
            entry("tailspin.onmicrosoft.com", 2L),
            entry(null, 1L));
        JsonNode forged = findGroup(report.at("/groups/originatorOrg/groups"), "contoso.com, evil.example");
        assertThat(forged.get("condition").asText()).isEqualTo("org-mixed-instances");
        assertThat(idOfKey.get(forged.at("/keys/0").asText())).isEqualTo("X1");
        // The tenant that forges our org header: allowed by that header, denied by the session's tenant.
        JsonNode forgedHeader = findGroup(report.at("/groups/originatorOrg/groups"), "contoso.com");
        assertThat(forgedHeader.get("condition").asText()).isEqualTo("org-allowed");
        assertThat(idOfKey.get(forgedHeader.at("/keys/0").asText())).isEqualTo("G2");
        assertThat(counts(report.at("/groups/remoteHost/groups"))).containsOnly(
            entry(JamesServer.M365_HOST_NAME, 15L), entry(JamesServer.M365_IP_WITHOUT_PTR, 1L));
        assertThat(counts(report.at("/groups/envelopeSenderDomain/groups"))).containsOnly(
            entry("evil.example", 8L), entry("fabrikam.com", 4L), entry("contoso-eu.example", 1L), entry("northwind-eu.example", 1L),
            entry("northwind.com", 2L));
        assertThat(counts(report.at("/groups/messageSource/groups"))).containsOnly(
            entry(null, 15L), entry("mailbox rules agent", 1L));
        assertThat(counts(report.at("/groups/rule/groups"))).containsOnly(
            entry("x-originatororg", 14L), entry("xoorg", 2L));
        assertThat(counts(report.at("/groups/xoorg/groups"))).containsOnly(
            entry(null, 14L), entry("fabrikam.onmicrosoft.com", 1L), entry("evil.onmicrosoft.com", 1L));
        assertThat(report.get("conditions").toString()).isEqualTo("{\"org-absent\":1,\"org-not-allowed\":12,\"org-mixed-instances\":1,"
            + "\"org-allowed\":0,\"xoorg-absent\":0,\"xoorg-not-allowed\":2,\"xoorg-allowed\":0,"
            + "\"tenant-mismatch\":0,\"tenant-conflict\":0,\"domain-unowned\":0,\"tenant-unidentified\":0,\"tenant-allowed\":0,\"secret-missing\":0,"
            + "\"headers-unreadable\":0,\"unknown-rule\":0}");
        assertThat(report.at("/allowedOrgs/values").toString()).isEqualTo("[\"contoso.onmicrosoft.com\",\"contoso.com\"]");
    }

    private static JsonNode findGroup(JsonNode groups, String value) {
        for (JsonNode group : groups) {
            if (value.equals(group.get("value").asText())) {
                return group;
            }
        }
        throw new AssertionError("no group " + value + " in " + groups);
    }

    private static List<String> values(JsonNode list) {
        List<String> values = new ArrayList<>();
        list.forEach(value -> values.add(value.get("value").asText()));
        return values;
    }

    @Test
    void suggestionsNameOnlyValuesWithEvidenceThatTheyAreOursAndStateIt() {
        JsonNode suggestions = report("").get("suggestions");

        assertThat(values(suggestions)).as("strongest first; allowed values and strangers never suggested")
            .containsExactly("fabrikam.com", "fabrikam.onmicrosoft.com", "tailspin.onmicrosoft.com");
        assertThat(suggestions.get(0).get("reasons").toString()).isEqualTo("[\"domainlist\"]");
        assertThat(suggestions.get(0).get("evidence").asText()).isEqualTo("a domain of your DomainList; 1 of 1 mail from your domain fabrikam.com");
        JsonNode fabrikam = findGroup(suggestions, "fabrikam.onmicrosoft.com");
        assertThat(fabrikam.get("reasons").toString()).isEqualTo("[\"domainlist-name\",\"onmicrosoft\"]");
        assertThat(fabrikam.get("evidence").asText()).isEqualTo("named like your domain fabrikam.com; 3 of 3 mails from your domain fabrikam.com");
        assertThat(fabrikam.get("mails").asLong()).as("two by header, one by the session").isEqualTo(3);
        assertThat(fabrikam.get("wouldLetThrough").asLong()).isEqualTo(3);
        assertThat(fabrikam.get("senderDomains").toString()).isEqualTo("[\"fabrikam.com\"]");
        assertThat(fabrikam.get("keys")).extracting(key -> idOfKey.get(key.asText())).containsExactlyInAnyOrder("F1", "F2", "G1");
        // Our tenant named unlike our domains: known by the domain its mails were sent as.
        JsonNode tailspin = findGroup(suggestions, "tailspin.onmicrosoft.com");
        assertThat(tailspin.get("reasons").toString()).isEqualTo("[\"domainlist-senders\",\"onmicrosoft\"]");
        assertThat(tailspin.get("evidence").asText()).isEqualTo("2 of 2 mails from your domain northwind.com, through Exchange Online");
        assertThat(tailspin.get("fromOurDomains").asLong()).isEqualTo(2);
        assertThat(tailspin.get("ourDomains").toString()).isEqualTo("[\"northwind.com\"]");
    }

    @Test
    void noMailOfASuggestionWasSentAsAForeignDomain() {
        JsonNode report = report("?limit=1000&sampleKeys=10");
        Map<String, Map<String, String>> quarantine = quarantineAsWebAdminShowsIt();
        Set<String> ourDomains = Set.of("contoso.com", "contoso.onmicrosoft.com", "fabrikam.com", "northwind.com");

        assertThat(report.get("suggestions")).isNotEmpty();
        for (JsonNode suggestion : report.get("suggestions")) {
            suggestion.get("keys").forEach(key -> assertThat(quarantine.get(key.asText()).get("envelopeSenderDomain"))
                .as("%s key %s", suggestion.get("value"), idOfKey.get(key.asText())).isIn(ourDomains));
            assertThat(suggestion.get("fromForeignDomains").asLong()).as(suggestion.toString()).isZero();
        }
    }

    @Test
    void aForeignTenantAndALookAlikeAreStrangersAndATenantNamedLikeOursSendingAsAnotherDomainIsSuspicious() {
        JsonNode report = report("");

        JsonNode suspicious = report.get("suspicious");
        assertThat(values(suspicious)).containsExactly("northwind.onmicrosoft.com");
        assertThat(suspicious.get(0).get("evidence").asText())
            .isEqualTo("named like your domain northwind.com, but 1 of 1 mail from northwind-eu.example, not a domain of yours: a look-alike name");
        assertThat(idOfKey.get(suspicious.at("/0/keys/0").asText())).isEqualTo("S1");

        JsonNode strangers = report.get("strangers");
        assertThat(values(strangers)).containsExactly("evil.onmicrosoft.com", "contoso-eu.onmicrosoft.com", "evil.example");
        JsonNode evil = findGroup(strangers, "evil.onmicrosoft.com");
        assertThat(evil.get("evidence").asText()).isEqualTo("6 of 6 mails from evil.example, not a domain of yours");
        assertThat(evil.get("wouldLetThrough").asLong()).as("the what-if stays available for a stranger").isEqualTo(6);
        assertThat(evil.get("foreignDomains").toString()).isEqualTo("[\"evil.example\"]");
        assertThat(findGroup(strangers, "contoso-eu.onmicrosoft.com").get("evidence").asText())
            .isEqualTo("1 of 1 mail from contoso-eu.example, not a domain of yours");
        // The mail without the header names no value: it is in no list.
        assertThat(report.get("suggestions").toString() + suspicious + strangers).doesNotContain("\"value\":null").doesNotContain("\"value\":\"\"");
    }

    @Test
    void theDecisionLogHasOneLineWithTheRightFieldsPerQuarantinedMailAndNeverTheBody() throws Exception {
        List<Map<String, String>> lines = DecisionLog.read(james.decisionLog());
        Map<String, Map<String, String>> quarantine = quarantineAsWebAdminShowsIt();

        assertThat(lines).hasSize(16);
        assertThat(lines).extracting(line -> line.get("mail")).containsExactlyInAnyOrderElementsOf(quarantine.keySet());
        for (Map<String, String> line : lines) {
            Map<String, String> mail = quarantine.get(line.get("mail"));
            Sent sent = MAILS.stream().filter(candidate -> candidate.id.equals(idOfKey.get(line.get("mail")))).findFirst().orElseThrow();
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("decision", "deny");
            expected.put("action", "quarantine+relay");
            expected.put("mode", "audit");
            expected.put("profile", "hardened");
            expected.put("route", sent.xoorg == null ? "m365_mail" : "m365_xoorg");
            expected.put("rule", sent.rule());
            expected.put("condition", sent.condition);
            expected.put("mail", line.get("mail"));
            expected.put("remoteHost", mail.get("remoteHost"));
            expected.put("remoteIp", sent.viaProxy ? JamesServer.M365_IP_WITHOUT_PTR : JamesServer.M365_HOST_SOURCE);
            expected.put("sender", sent.sender);
            expected.put("recipients", String.valueOf(sent.recipients.size()));
            expected.put("originatorOrg", Optional.ofNullable(mail.get("originatorOrg")).orElse("-"));
            expected.put("messageSource", Optional.ofNullable(mail.get("messageSource")).orElse("-"));
            expected.put("xoorg", Optional.ofNullable(sent.xoorg).orElse("-"));
            expected.put("tenant", Optional.ofNullable(mail.get("tenant")).orElse("-"));
            // These clients do not start TLS: the listener records it.
            expected.put("tls", "none");
            Map<String, String> actual = new LinkedHashMap<>(line);
            actual.remove("time");
            assertThat(actual).as(sent.id).containsExactlyEntriesOf(expected);
        }
        assertThat(Files.readString(james.decisionLog(), StandardCharsets.UTF_8)).doesNotContain(BODY_MARKER).doesNotContain("report test");
    }

    @Test
    void theCountersMoveInJamesMetrics() {
        Map<String, Double> metrics = webAdmin.anonymous().metrics();

        assertThat(metrics).containsEntry("relayguard_denied_total", 16.0)
            .containsEntry("relayguard_discarded_total", 0.0)
            .containsEntry("relayguard_released_total", 0.0);
    }

    @Test
    void theReportRequiresWebAdminAuthentication() {
        assertThat(webAdmin.anonymous().get(REPORT, "application/json").status).isEqualTo(401);
    }

    @Test
    void anUnknownRepositoryGetsA404JsonError() {
        WebAdmin.Response response = webAdmin.get("/relayguard/quarantine/" + WebAdmin.encode("var/mail/nope") + "/report", "application/json");

        assertThat(response.status).isEqualTo(404);
        assertThat(response.json().get("type").asText()).isEqualTo("notFound");
        assertThat(response.json().get("message").asText()).isEqualTo("The repository 'var/mail/nope' does not exist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"?limit=0", "?limit=lots", "?sampleKeys=-1", "?whatIf=", "?whatif=fabrikam.onmicrosoft.com", "?whatIf=a.com,,b.com"})
    void aBadParameterGetsA400JsonError(String query) {
        WebAdmin.Response response = webAdmin.get(REPORT + query, "application/json");

        assertThat(response.status).as(response.body).isEqualTo(400);
        assertThat(response.json().get("statusCode").asInt()).isEqualTo(400);
        assertThat(response.json().get("type").asText()).isEqualTo("InvalidArgument");
    }

    @Test
    void aBadlyEncodedRepositoryGetsA400JsonError() {
        WebAdmin.Response response = webAdmin.get("/relayguard/quarantine/var%25zz/report", "application/json");

        assertThat(response.status).as(response.body).isEqualTo(400);
        assertThat(response.json().get("type").asText()).isEqualTo("InvalidArgument");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void theWhatIfCountIsWhatJamesDecidesOnceTheCandidatesAreAllowed() throws Exception {
        JsonNode whatIf = report("?whatIf=Fabrikam.onmicrosoft.com,evil.example").get("whatIf");
        assertThat(whatIf.get("candidates").toString()).isEqualTo("[\"fabrikam.onmicrosoft.com\",\"evil.example\"]");
        assertThat(whatIf.get("mails").asLong()).isEqualTo(4);
        assertThat(whatIf.get("stillDenied").asLong()).isEqualTo(12);
        assertThat(counts(whatIf.at("/groups/originatorOrg/groups"))).containsOnly(
            entry("fabrikam.onmicrosoft.com", 2L), entry("contoso.com, evil.example", 1L));
        assertThat(counts(whatIf.at("/groups/xoorg/groups"))).containsOnly(entry("fabrikam.onmicrosoft.com", 1L));
        List<String> letThrough = new ArrayList<>();
        for (String rule : List.of("originatorOrg", "xoorg")) {
            whatIf.at("/groups/" + rule + "/groups").forEach(group -> group.get("keys").forEach(key -> letThrough.add(idOfKey.get(key.asText()))));
        }
        assertThat(letThrough).containsExactlyInAnyOrder("F1", "F2", "X1", "G1");

        // Now do it: add the candidates to tenantOrgs, restart, send the same mails again.
        james.stop();
        Path mailetContainer = james.conf("mailetcontainer.xml");
        String configuration = Files.readString(mailetContainer, StandardCharsets.UTF_8);
        assertThat(configuration).contains(TENANT_ORGS);
        Files.writeString(mailetContainer, configuration.replace(TENANT_ORGS,
            "<!ENTITY tenantOrgs \"contoso.onmicrosoft.com, contoso.com, Fabrikam.onmicrosoft.com, evil.example\">"), StandardCharsets.UTF_8);
        james.start();
        for (Sent mail : MAILS) {
            mail.sendTo(james, "replay-");
        }
        Outcomes replay = Outcomes.await(james, hops, 2 * MAILS.size(), ID_HEADER, Duration.ofSeconds(90));
        long deniedBefore = MAILS.stream().filter(Sent::denied).count();
        long deniedNow = MAILS.stream().filter(mail -> replay.quarantined("replay-" + mail.id) == 1).count();
        assertThat(deniedBefore - deniedNow).as("mails the new allowed list let through (%s)", replay).isEqualTo(whatIf.get("mails").asLong());
        for (String id : List.of("F1", "F2", "X1", "G1")) {
            assertThat(replay.quarantined("replay-" + id)).as(id).isZero();
        }

        // The report follows the running configuration: the old quarantine of those mails is now org-allowed.
        JsonNode after = report("");
        assertThat(after.at("/allowedOrgs/values").toString())
            .isEqualTo("[\"contoso.onmicrosoft.com\",\"contoso.com\",\"fabrikam.onmicrosoft.com\",\"evil.example\"]");
        assertThat(after.at("/conditions/org-allowed").asLong()).isEqualTo(3);
        assertThat(after.at("/conditions/xoorg-allowed").asLong()).isEqualTo(1);
        assertThat(after.get("suggestions").toString()).doesNotContain("fabrikam.onmicrosoft.com");
        assertThat(DecisionLog.read(james.decisionLog())).hasSize(16 + (int) deniedNow);
    }
}
