package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.relayguard.tools.cluster.Cluster;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.process.Pause;

/**
 * Two Relay Guard gateways behind a real HAProxy, sharing a real PostgreSQL (the DomainList and the
 * {@code jpa://} quarantine), each with its own queues, next hops and decision log: what an operator
 * who runs two nodes checks. Enforce mode, so that a release is the only way a denied mail leaves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
    private static final String REPORT = "/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/report";
    /** Each row of SPEC's table this many times, one connection each, so that HAProxy spreads every row. */
    private static final int COPIES = 2;

    private final List<NextHops> hops = new ArrayList<>();
    private Cluster cluster;

    @BeforeAll
    void startCluster() throws IOException {
        hops.add(NextHops.start());
        hops.add(NextHops.start());
        cluster = Cluster.builder()
            .nodes(2)
            .node(index -> JamesServer.builder().enforce(true).nextHops(hops.get(index)))
            .start();
    }

    @AfterAll
    void stopCluster() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        hops.forEach(NextHops::close);
    }

    private JamesServer nodeA() {
        return cluster.node(0);
    }

    private JamesServer nodeB() {
        return cluster.node(1);
    }

    @Test
    @Order(1)
    void trafficThroughHaProxyReachesEveryNodeAndEveryMailEndsWhereSpecSays() throws Exception {
        List<Scenario> rows = throughHaProxy();
        for (int copy = 0; copy < COPIES; copy++) {
            for (Scenario row : rows) {
                assertThat(send(cluster.smtpPort(), row).code).as(row.name()).isEqualTo(250);
            }
        }
        int expectedRelayed = rows.stream().mapToInt(row -> row.expected(JamesServer.Profile.HARDENED) == Scenario.Decision.RELAY ? COPIES : 0).sum();
        awaitQuietCluster(expectedRelayed);

        Map<String, Integer> relayed = relayedByScenario(false);
        Map<String, Integer> quarantined = quarantinedByScenario(nodeB());
        SoftAssertions softly = new SoftAssertions();
        for (Scenario row : rows) {
            boolean denied = row.expected(JamesServer.Profile.HARDENED) == Scenario.Decision.DENY;
            softly.assertThat(relayed.getOrDefault(row.name(), 0)).as("%s relayed", row).isEqualTo(denied ? 0 : COPIES);
            softly.assertThat(quarantined.getOrDefault(row.name(), 0)).as("%s quarantined", row).isEqualTo(denied ? COPIES : 0);
        }
        softly.assertThat(relayedByScenario(true)).as("nothing for external recipients on the M365 route").isEmpty();
        for (int node = 0; node < 2; node++) {
            JamesServer james = cluster.node(node);
            List<Map<String, String>> decisions = DecisionLog.read(james.decisionLog());
            softly.assertThat(decisions).as("node%d's decision log", node + 1).isNotEmpty();
            softly.assertThat(decisions).as("node%d saw the M365 host name through HAProxy", node + 1)
                .allSatisfy(line -> assertThat(line.get("remoteHost")).isEqualTo(JamesServer.M365_HOST_NAME));
            softly.assertThat(hops.get(node).internet().count()).as("node%d relayed mail", node + 1).isPositive();
            softly.assertThat(james.webAdmin().mailKeys(JamesServer.ERROR_REPOSITORY)).as("node%d error repository", node + 1).isEmpty();
        }
        softly.assertAll();
    }

    @Test
    @Order(2)
    void theReportAndTheCountersOnNodeBShowWhatNodeAQuarantined() throws Exception {
        int before = nodeB().webAdmin().mailKeys(JamesServer.QUARANTINE).size();
        String id = "quarantined-by-node-a";
        assertThat(sendDirect(nodeA(), id, "a@evil.example", "fabrikam.onmicrosoft.com", Optional.empty()).code).isEqualTo(250);
        awaitQuarantine(nodeB(), before + 1);
        String key = keyOf(nodeB(), id);

        assertThat(DecisionLog.read(nodeA().decisionLog())).as("node A decided").anySatisfy(line -> assertThat(line.get("mail")).isEqualTo(key));
        assertThat(DecisionLog.read(nodeB().decisionLog())).as("node B did not").noneSatisfy(line -> assertThat(line.get("mail")).isEqualTo(key));
        JsonNode report = nodeB().webAdmin().get(REPORT + "?whatIf=fabrikam.onmicrosoft.com", "application/json").expect(200).json();
        assertThat(report.get("mails").asLong()).isEqualTo(before + 1);
        assertThat(report.at("/whatIf/mails").asLong()).as("what-if on node B: mails node A quarantined that the value would let through").isEqualTo(1);
        JsonNode reportOnA = nodeA().webAdmin().get(REPORT, "application/json").expect(200).json();
        assertThat(reportOnA.get("mails").asLong()).as("the same quarantine from either node").isEqualTo(before + 1);

        double denied = 0;
        for (JamesServer node : cluster.nodes()) {
            double onNode = node.webAdmin().metrics().getOrDefault("relayguard_denied_total", 0.0);
            assertThat(onNode).as("each node counts its own decisions").isPositive();
            denied += onNode;
        }
        assertThat(denied).as("the nodes' counters add up to the shared quarantine").isEqualTo(before + 1);
    }

    @Test
    @Order(3)
    void aReleaseFromNodeBOfAMailNodeAQuarantinedIsDeliveredExactlyOnceClusterWide() throws Exception {
        String id = "released-from-node-b";
        int before = nodeB().webAdmin().mailKeys(JamesServer.QUARANTINE).size();
        assertThat(sendDirect(nodeA(), id, "a@evil.example", "evil.onmicrosoft.com", Optional.empty()).code).isEqualTo(250);
        awaitQuarantine(nodeB(), before + 1);
        String key = keyOf(nodeB(), id);
        int relayedBefore = totalRelayed();

        JsonNode task = nodeB().webAdmin().reprocess(JamesServer.QUARANTINE, key, "m365_release");

        assertThat(task.get("status").asText()).isEqualTo("completed");
        awaitQuietCluster(relayedBefore + 1);
        Pause.sleep(3000);
        assertThat(copiesAt(hops.get(1), id)).as("delivered by node B, whose spool took the release").isEqualTo(1);
        assertThat(copiesAt(hops.get(0), id)).as("not by node A too").isZero();
        assertThat(nodeA().webAdmin().mailKeys(JamesServer.QUARANTINE)).as("gone from the shared quarantine, for node A too").doesNotContain(key);
        assertThat(DecisionLog.read(nodeB().decisionLog())).as("node B logged the release")
            .anySatisfy(line -> assertThat(line).containsEntry("mail", key).containsEntry("decision", "release"));
        assertThat(nodeA().webAdmin().metrics()).containsEntry("relayguard_released_total", 0.0);
        assertThat(nodeB().webAdmin().metrics()).containsEntry("relayguard_released_total", 1.0);
    }

    /**
     * The hardened mailbox-rules exemption holds only for our envelope domains
     * ({@code SenderInDomainSet=@domainlist}): a forward from a domain added on node A is denied by
     * node B before, and relayed by node B right after.
     */
    @Test
    @Order(4)
    void aDomainAddedOnNodeACountsOnNodeBForTheVeryNextMail() throws Exception {
        String domain = "fabrikam.example";
        int quarantineBefore = nodeB().webAdmin().mailKeys(JamesServer.QUARANTINE).size();
        int relayedBefore = hops.get(1).internet().count();
        int totalBefore = totalRelayed();
        // Node B answers about the domain once, so that a node that keeps a copy would hold the old answer.
        assertThat(sendDirect(nodeB(), "forward-before", "a@" + domain, "fabrikam.com", Optional.of("Mailbox Rules Agent")).code).isEqualTo(250);
        awaitQuarantine(nodeB(), quarantineBefore + 1);

        nodeA().webAdmin().addDomain(domain);
        assertThat(sendDirect(nodeB(), "forward-after", "a@" + domain, "fabrikam.com", Optional.of("Mailbox Rules Agent")).code).isEqualTo(250);
        try (SmtpClient client = SmtpClient.connect(nodeB().smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty())) {
            assertThat(client.send("b@example.org", List.of("user@" + domain), message("inbound-after", "b@example.org", Optional.empty(), Optional.empty())).code)
                .isEqualTo(250);
        }

        awaitQuietCluster(totalBefore + 2);
        Pause.sleep(2000);
        assertThat(copiesAt(hops.get(1).internet(), "forward-after")).as("node B relays the forward: %s counts as ours", domain).isEqualTo(1);
        assertThat(copiesAt(hops.get(1).m365(), "inbound-after")).as("node B routes mail for %s to the M365 smart host", domain).isEqualTo(1);
        assertThat(hops.get(1).internet().count()).isEqualTo(relayedBefore + 1);
        assertThat(nodeB().webAdmin().mailKeys(JamesServer.QUARANTINE)).hasSize(quarantineBefore + 1);
        assertThat(nodeB().webAdmin().domains()).contains(domain);
    }

    /**
     * What Exchange Online sends too: a client address in its IPv6 range (no PTR: recognised by
     * Microsoft's published networks) and a mail for many recipients. James's JPAMail maps the
     * address to 20 characters and the recipients to 255; Relay Guard's mapping widens both, or the
     * quarantine could not hold the mail.
     */
    @Test
    @Order(5)
    void aDeniedMailFromAnIpv6AddressForManyRecipientsIsInTheSharedQuarantine() throws Exception {
        String id = "ipv6-many-recipients";
        String address = "2a01:111:f403:2412::701";
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            recipients.add("recipient-number-" + i + "@external.example");
        }
        int before = nodeB().webAdmin().mailKeys(JamesServer.QUARANTINE).size();
        try (SmtpClient client = SmtpClient.connect(nodeA().proxySmtpPort(), Optional.empty(), Optional.of(address))) {
            assertThat(client.send("a@evil.example", recipients, message(id, "a@evil.example", Optional.of("evil.onmicrosoft.com"), Optional.empty())).code)
                .isEqualTo(250);
        }

        awaitQuarantine(nodeB(), before + 1);
        JsonNode details = nodeB().webAdmin().mail(JamesServer.QUARANTINE, keyOf(nodeB(), id));
        assertThat(InetAddress.getByName(details.get("remoteAddr").asText())).isEqualTo(InetAddress.getByName(address));
        assertThat(details.get("recipients")).hasSize(recipients.size());
        assertThat(nodeA().webAdmin().mailKeys(JamesServer.ERROR_REPOSITORY)).isEmpty();
    }

    /** Every row but the one that needs a Microsoft address without PTR: HAProxy passes on the client's real (loopback) address. */
    static List<Scenario> throughHaProxy() {
        List<Scenario> rows = new ArrayList<>(List.of(Scenario.values()));
        rows.remove(Scenario.M365_ADDRESS_WITHOUT_PTR);
        return rows;
    }

    /** One mail of a row on its own connection through HAProxy, from the row's source address. */
    static SmtpClient.Reply send(int port, Scenario row) throws IOException {
        String source = row.source == Scenario.Source.INTERNET_HOST ? JamesServer.INTERNET_HOST_SOURCE : JamesServer.M365_HOST_SOURCE;
        try (SmtpClient client = SmtpClient.connect(port, Optional.of(source), Optional.empty())) {
            return client.send(row.envelopeSender, List.of(Scenario.RECIPIENT), row.message());
        }
    }

    /** A Microsoft 365 mail straight to one node's SMTP listener, tagged with {@code id}. */
    private static SmtpClient.Reply sendDirect(JamesServer node, String id, String sender, String org, Optional<String> messageSource) throws IOException {
        try (SmtpClient client = SmtpClient.connect(node.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty())) {
            return client.send(sender, List.of(Scenario.RECIPIENT), message(id, sender, Optional.of(org), messageSource));
        }
    }

    private static String message(String id, String sender, Optional<String> org, Optional<String> messageSource) {
        return "From: " + sender + "\r\n"
            + "To: " + Scenario.RECIPIENT + "\r\n"
            + "Subject: cluster " + id + "\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\n"
            + Scenario.SCENARIO_HEADER + ": " + id + "\r\n"
            + messageSource.map(value -> "X-MS-Exchange-Generated-Message-Source: " + value + "\r\n").orElse("")
            + org.map(value -> "X-OriginatorOrg: " + value + "\r\n").orElse("")
            + "\r\nCluster test " + id + ".\r\n";
    }

    private int totalRelayed() {
        return hops.stream().mapToInt(hop -> hop.internet().count() + hop.m365().count()).sum();
    }

    /**
     * Until every queue of every node is empty and the next hops hold {@code expectedRelayed} mails,
     * 90 s at most: the assertions that follow say what is missing.
     */
    private void awaitQuietCluster(int expectedRelayed) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            if (totalRelayed() >= expectedRelayed && cluster.nodes().stream().allMatch(ClusterTest::queuesEmpty)) {
                Pause.sleep(1500);
                if (cluster.nodes().stream().allMatch(ClusterTest::queuesEmpty)) {
                    return;
                }
            }
            Pause.sleep(200);
        }
    }

    static boolean queuesEmpty(JamesServer node) {
        return Outcomes.queuesEmpty(node.webAdmin());
    }

    static void awaitQuarantine(JamesServer node, int size) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (node.webAdmin().mailKeys(JamesServer.QUARANTINE).size() < size) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the quarantine does not hold " + size + " mails within 60 s");
            }
            Pause.sleep(200);
        }
    }

    private Map<String, Integer> relayedByScenario(boolean m365) {
        Map<String, Integer> copies = new TreeMap<>();
        for (NextHops hop : hops) {
            for (SmtpSink.Received mail : (m365 ? hop.m365() : hop.internet()).received()) {
                copies.merge(mail.header(Scenario.SCENARIO_HEADER), 1, Integer::sum);
            }
        }
        return copies;
    }

    static Map<String, Integer> quarantinedByScenario(JamesServer node) {
        return quarantinedByHeader(node, Scenario.SCENARIO_HEADER);
    }

    /** The shared quarantine as one node's webadmin lists it: copies per value of the id header. */
    static Map<String, Integer> quarantinedByHeader(JamesServer node, String idHeader) {
        Map<String, Integer> copies = new TreeMap<>();
        WebAdmin webAdmin = node.webAdmin();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            copies.merge(Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), idHeader), 1, Integer::sum);
        }
        return copies;
    }

    private static String keyOf(JamesServer node, String id) {
        WebAdmin webAdmin = node.webAdmin();
        return webAdmin.mailKeys(JamesServer.QUARANTINE).stream()
            .filter(key -> Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), Scenario.SCENARIO_HEADER).equals(id))
            .findFirst()
            .orElseThrow(() -> new AssertionError(id + " is not in the quarantine"));
    }

    private static int copiesAt(NextHops hop, String id) {
        return copiesAt(hop.internet(), id) + copiesAt(hop.m365(), id);
    }

    private static int copiesAt(SmtpSink sink, String id) {
        return (int) sink.received().stream().filter(mail -> mail.header(Scenario.SCENARIO_HEADER).equals(id)).count();
    }
}
