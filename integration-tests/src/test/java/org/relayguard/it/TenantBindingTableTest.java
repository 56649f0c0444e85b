package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relayguard.it.TwoTenantsTest.OUTSIDE;
import static org.relayguard.it.TwoTenantsTest.applyWorkedExample;
import static org.relayguard.it.TwoTenantsTest.copies;
import static org.relayguard.it.TwoTenantsTest.message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.WebAdmin;

/**
 * Every row of SPEC's "Several tenants: the tenant binding" table, end to end: the two tenants of
 * docs/tenants.md's worked example (contoso and fabrikam, each with its own smart-host sink) and an
 * internet sink, in enforce and in audit mode, each mail sent twice: from the loopback source the
 * hosts file names as an Exchange Online host, and through the PROXY-protocol listener from an
 * Exchange Online address without PTR (the way an operator found the conflict relayed).
 */
class TenantBindingTableTest {
    /** SPEC.md is the project's shared material beside the clone, not in the repository (the pom sets the property). */
    private static final Path SPEC = Path.of(System.getProperty("relayguard.spec.file", "../../shared/SPEC.md")).normalize();

    /** One row: what Exchange Online and the sending tenant wrote, and what must happen. */
    private static final class Row {
        final String id;
        final String xoorg;
        final List<String> orgs;
        final String sender;
        // Empty: relay. Otherwise deny, with the decision line's rule, condition and tenant.
        final Optional<List<String>> deny;

        private Row(String id, String xoorg, List<String> orgs, String sender, Optional<List<String>> deny) {
            this.id = id;
            this.xoorg = xoorg;
            this.orgs = orgs;
            this.sender = sender;
            this.deny = deny;
        }

        static Row relay(String id, String xoorg, List<String> orgs, String sender) {
            return new Row(id, xoorg, orgs, sender, Optional.empty());
        }

        static Row deny(String id, String xoorg, List<String> orgs, String sender, String rule, String condition, String tenant) {
            return new Row(id, xoorg, orgs, sender, Optional.of(List.of(rule, condition, tenant)));
        }

        String[] headers() {
            return orgs.stream().map(org -> "X-OriginatorOrg: " + org).toArray(String[]::new);
        }
    }

    /** SPEC's rows in its order; the conflict row in both orders. */
    private static final List<Row> ROWS = List.of(
        Row.relay("contoso-as-itself", null, List.of("contoso.com"), "a@contoso.com"),
        Row.relay("fabrikam-as-itself", null, List.of("fabrikam.example"), "b@fabrikam.example"),
        Row.deny("contoso-as-fabrikam", null, List.of("contoso.com"), "ceo@fabrikam.example", "tenant-binding", "tenant-mismatch", "contoso"),
        Row.deny("contoso-session-as-fabrikam", "contoso.onmicrosoft.com", List.of("fabrikam.example"), "ceo@fabrikam.example",
            "tenant-binding", "tenant-mismatch", "contoso"),
        Row.deny("conflict-fabrikam-first", null, List.of("fabrikam.example", "contoso.com"), "ceo@fabrikam.example",
            "tenant-binding", "tenant-conflict", "contoso,fabrikam"),
        Row.deny("conflict-contoso-first", null, List.of("contoso.com", "fabrikam.example"), "ceo@fabrikam.example",
            "tenant-binding", "tenant-conflict", "contoso,fabrikam"),
        Row.relay("contoso-two-orgs", null, List.of("contoso.com", "contoso.onmicrosoft.com"), "a@contoso.com"),
        Row.deny("foreign-as-fabrikam", null, List.of("evil.onmicrosoft.com"), "ceo@fabrikam.example", "x-originatororg", "org-not-allowed", "-"));

    /**
     * The other ways docs/tenants.md lists for evidence not to name the owner, which the sender
     * can choose: left to the X-OriginatorOrg rule (no header), or denied by the binding (a domain
     * of the DomainList that no tenant owns, {@link #UNOWNED}).
     */
    private static final List<Row> OTHER_PATHS = List.of(
        Row.deny("no-org-as-fabrikam", null, List.of(), "ceo@fabrikam.example", "x-originatororg", "org-absent", "-"),
        Row.deny("contoso-as-unowned", null, List.of("contoso.com"), "a@northwind.example", "tenant-binding", "domain-unowned", "contoso"),
        // The domain is judged first: nobody may send as it, whoever the instances name.
        Row.deny("conflict-as-unowned", null, List.of("contoso.com", "fabrikam.onmicrosoft.com"), "a@northwind.example",
            "tenant-binding", "domain-unowned", "contoso,fabrikam"));
    /** In the DomainList, owned by no tenant of the worked example. */
    private static final String UNOWNED = "northwind.example";
    private static final List<Row> ALL_ROWS = Stream.concat(ROWS.stream(), OTHER_PATHS.stream()).collect(Collectors.toList());

    /** The two ways in: the hosts file's Exchange Online name, and the PROXY listener with an Exchange Online address. */
    private enum Path365 {
        NAMED_HOST, PROXY_PROTOCOL
    }

    @Test
    void everyRowOfSpecsTableIsHere() throws IOException {
        String spec = Files.readString(SPEC, StandardCharsets.UTF_8);
        Matcher section = Pattern.compile("(?s)## Several tenants: the tenant binding.*?\\n\\| XOORG.*?\\n\\| ---[^\\n]*\\n((?:\\|[^\\n]*\\n)+)").matcher(spec);
        assertThat(section.find()).as("the tenant-binding table of %s", SPEC).isTrue();
        long specRows = section.group(1).lines().count();
        long conflictRows = section.group(1).lines().filter(line -> line.contains("either order")).count();

        assertThat(ROWS).as("one row each, the 'either order' rows twice").hasSize((int) (specRows + conflictRows));
    }

    abstract static class Mode {
        private final boolean enforce;
        private NextHops hops;
        private JamesServer james;
        private Outcomes outcomes;

        Mode(boolean enforce) {
            this.enforce = enforce;
        }

        @BeforeAll
        void sendEveryRowBothWays() throws Exception {
            hops = NextHops.startForTenants("contoso", "fabrikam");
            james = JamesServer.builder().enforce(enforce).nextHops(hops).prepare();
            applyWorkedExample(james, hops);
            james.start();
            james.webAdmin().addDomain(UNOWNED);
            for (Row row : ALL_ROWS) {
                for (Path365 path : Path365.values()) {
                    send(row, path);
                }
            }
            long relayed = ALL_ROWS.stream().filter(row -> row.deny.isEmpty() || !enforce).count() * Path365.values().length;
            outcomes = Outcomes.await(james, hops, (int) relayed, TwoTenantsTest.ID, Duration.ofSeconds(120));
        }

        @AfterAll
        void stopGateway() {
            if (james != null) {
                james.close();
            }
            if (hops != null) {
                hops.close();
            }
        }

        private void send(Row row, Path365 path) throws IOException {
            String id = id(row, path);
            Optional<String> source = path == Path365.NAMED_HOST ? Optional.of(JamesServer.M365_HOST_SOURCE) : Optional.empty();
            Optional<String> proxied = path == Path365.PROXY_PROTOCOL ? Optional.of(JamesServer.M365_IP_WITHOUT_PTR) : Optional.empty();
            int port = path == Path365.NAMED_HOST ? james.smtpPort() : james.proxySmtpPort();
            try (SmtpClient client = SmtpClient.connect(port, source, proxied)) {
                String parameters = row.xoorg == null ? "" : "XOORG=" + row.xoorg;
                assertThat(client.send(row.sender, parameters, List.of(OUTSIDE), message(id, row.sender, OUTSIDE, row.headers())).code)
                    .as(id).isEqualTo(250);
            }
        }

        private static String id(Row row, Path365 path) {
            return row.id + "-" + path.name().toLowerCase().replace('_', '-');
        }

        @Test
        void eachRowEndsWhereSpecSays() {
            List<String> wrong = new ArrayList<>();
            for (Row row : ALL_ROWS) {
                for (Path365 path : Path365.values()) {
                    String id = id(row, path);
                    int internet = copies(hops.internet(), id).size();
                    int smartHosts = copies(hops.tenant("contoso"), id).size() + copies(hops.tenant("fabrikam"), id).size();
                    int quarantined = outcomes.quarantined(id);
                    int expectedInternet = row.deny.isEmpty() || !enforce ? 1 : 0;
                    int expectedQuarantined = row.deny.isPresent() ? 1 : 0;
                    if (internet != expectedInternet || smartHosts != 0 || quarantined != expectedQuarantined) {
                        wrong.add(id + ": internet " + internet + " (expected " + expectedInternet + "), smart hosts " + smartHosts
                            + " (expected 0), quarantined " + quarantined + " (expected " + expectedQuarantined + ")");
                    }
                }
            }
            assertThat(wrong).as("mode %s (%s)", enforce ? "enforce" : "audit", outcomes).isEmpty();
        }

        @Test
        void eachDeniedRowIsLoggedWithItsRuleConditionAndTenants() {
            List<Map<String, String>> lines = DecisionLog.read(james.decisionLog());
            WebAdmin webAdmin = james.webAdmin();
            for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
                String id = Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), TwoTenantsTest.ID);
                Row row = ALL_ROWS.stream()
                    .filter(candidate -> Stream.of(Path365.values()).anyMatch(path -> id.equals(id(candidate, path))))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("quarantined mail of no row: " + id));
                assertThat(row.deny).as("%s is quarantined", id).isPresent();
                Map<String, String> line = lines.stream().filter(candidate -> key.equals(candidate.get("mail"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no decision line for " + id));
                assertThat(List.of(line.get("rule"), line.get("condition"), line.get("tenant"))).as(id).isEqualTo(row.deny.get());
                assertThat(line).as(id)
                    .containsEntry("decision", "deny")
                    .containsEntry("mode", enforce ? "enforce" : "audit")
                    .containsEntry("sender", row.sender);
            }
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Enforce extends Mode {
        Enforce() {
            super(true);
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Audit extends Mode {
        Audit() {
            super(false);
        }
    }
}
