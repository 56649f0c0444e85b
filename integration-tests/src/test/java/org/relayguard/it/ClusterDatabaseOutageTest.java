package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.cluster.Cluster;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.process.Pause;

/**
 * The shared database stopped while the cluster runs: a mail that cannot be quarantined (or routed:
 * the DomainList is in the database too) is neither relayed unrecorded nor lost nor bounced; it
 * waits in its node's own error repository ({@code file://}, on the node's disk). Once PostgreSQL
 * is back, the runbook of docs/cluster.md (reprocess each node's error repository into
 * {@code root}) takes every mail where SPEC says. Audit mode, where a denied mail is relayed only
 * together with its quarantined copy: a relay without the copy would show.
 */
class ClusterDatabaseOutageTest {
    private static final String ERROR = JamesServer.ERROR_REPOSITORY;

    @Test
    void withPostgresDownMailWaitsInTheNodesErrorRepositoryAndTheRunbookDeliversItOncePostgresIsBack() throws Exception {
        List<NextHops> hops = List.of(NextHops.start(), NextHops.start());
        try (Cluster cluster = Cluster.builder()
            .nodes(2)
            .node(index -> JamesServer.builder().enforce(false).nextHops(hops.get(index)))
            .start()) {
            cluster.postgres().stop();

            Map<String, TransportMail> acknowledged = new HashMap<>();
            List<String> refused = new ArrayList<>();
            for (int node = 0; node < 2; node++) {
                for (TransportMail kind : TransportMail.values()) {
                    String id = "outage-node" + (node + 1) + "-" + kind.name().toLowerCase();
                    SmtpClient.Reply reply = kind.send(cluster.node(node), id);
                    if (reply.code == 250) {
                        acknowledged.put(id, kind);
                    } else {
                        refused.add(id + ": " + reply);
                    }
                }
            }
            assertThat(acknowledged).as("acknowledged while the database is down (refused: %s)", refused).isNotEmpty();
            for (int node = 0; node < 2; node++) {
                awaitErrorRepository(cluster.node(node), (int) acknowledged.keySet().stream().filter(id -> id.startsWith("outage-node")).count() / 2);
            }
            Pause.sleep(3000);

            Map<String, Integer> inErrorRepositories = new HashMap<>();
            for (JamesServer node : cluster.nodes()) {
                WebAdmin webAdmin = node.webAdmin();
                for (String key : webAdmin.mailKeys(ERROR)) {
                    inErrorRepositories.merge(Outcomes.headerOf(webAdmin.rawMail(ERROR, key), TransportMail.ID_HEADER), 1, Integer::sum);
                }
                assertThat(ClusterTest.queuesEmpty(node)).as("nothing left queued: all of it is in the error repository").isTrue();
            }
            SoftAssertions during = new SoftAssertions();
            for (String id : acknowledged.keySet()) {
                during.assertThat(inErrorRepositories.getOrDefault(id, 0)).as("%s in its node's error repository", id).isEqualTo(1);
            }
            during.assertThat(relayed(hops)).as("relayed while the database is down").isEmpty();
            during.assertThat(totalReceived(hops)).as("bounces or other mail sent while the database is down").isZero();
            during.assertAll();

            // The runbook: PostgreSQL back, then each node's error repository reprocessed into root.
            cluster.postgres().start();
            for (JamesServer node : cluster.nodes()) {
                JsonNode task = reprocessAll(node.webAdmin(), "root");
                assertThat(task.get("status").asText()).as("reprocess task on %s", node.root()).isEqualTo("completed");
            }
            int expectedRelayed = acknowledged.values().stream().mapToInt(kind -> kind.expectedRelayed(false)).sum();
            awaitDelivered(cluster, hops, expectedRelayed);

            SoftAssertions after = new SoftAssertions();
            Map<String, Integer> quarantined = ClusterTest.quarantinedByHeader(cluster.node(0), TransportMail.ID_HEADER);
            Map<String, Integer> relayed = relayed(hops);
            for (Map.Entry<String, TransportMail> mail : acknowledged.entrySet()) {
                String id = mail.getKey();
                TransportMail kind = mail.getValue();
                int onRoute = hops.stream().mapToInt(hop -> copies(kind.nextHop(hop), id)).sum();
                int offRoute = hops.stream().mapToInt(hop -> copies(kind.otherHop(hop), id)).sum();
                after.assertThat(onRoute).as("%s (%s) on its next hop", id, kind).isEqualTo(1);
                after.assertThat(offRoute).as("%s (%s) on the other next hop", id, kind).isZero();
                after.assertThat(quarantined.getOrDefault(id, 0)).as("%s (%s) quarantined", id, kind).isEqualTo(kind.denied ? 1 : 0);
            }
            after.assertThat(relayed.keySet()).as("only what was sent").isSubsetOf(acknowledged.keySet());
            for (JamesServer node : cluster.nodes()) {
                after.assertThat(node.webAdmin().mailKeys(ERROR)).as("error repository after the runbook").isEmpty();
            }
            after.assertAll();
        } finally {
            hops.forEach(NextHops::close);
        }
    }

    /** The runbook's command: every mail of the node's error repository back into a processor. */
    private static JsonNode reprocessAll(WebAdmin webAdmin, String processor) {
        WebAdmin.Response response = webAdmin.patch("/mailRepositories/" + WebAdmin.encode(ERROR) + "/mails?action=reprocess&processor=" + processor);
        return webAdmin.awaitTask(response.expect(201).json().get("taskId").asText());
    }

    private static void awaitErrorRepository(JamesServer node, int size) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (node.webAdmin().mailKeys(ERROR).size() < size) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the error repository of " + node.root() + " does not hold " + size + " mails within 60 s");
            }
            Pause.sleep(200);
        }
    }

    private static void awaitDelivered(Cluster cluster, List<NextHops> hops, int expected) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            if (totalReceived(hops) >= expected && cluster.nodes().stream().allMatch(ClusterTest::queuesEmpty)) {
                Pause.sleep(2000);
                if (cluster.nodes().stream().allMatch(ClusterTest::queuesEmpty)) {
                    return;
                }
            }
            Pause.sleep(250);
        }
    }

    private static Map<String, Integer> relayed(List<NextHops> hops) {
        Map<String, Integer> copies = new HashMap<>();
        for (NextHops hop : hops) {
            for (SmtpSink sink : List.of(hop.internet(), hop.m365())) {
                sink.received().forEach(mail -> copies.merge(mail.header(TransportMail.ID_HEADER), 1, Integer::sum));
            }
        }
        return copies;
    }

    private static int totalReceived(List<NextHops> hops) {
        return hops.stream().mapToInt(hop -> hop.internet().count() + hop.m365().count()).sum();
    }

    private static int copies(SmtpSink sink, String id) {
        return (int) sink.received().stream().filter(mail -> mail.header(TransportMail.ID_HEADER).equals(id)).count();
    }
}
