package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.cluster.Cluster;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.process.Pause;

/**
 * {@code kill -9} of one node of two while clients send through HAProxy: new connections go to the
 * survivor, and every mail either node acknowledged with {@code 250} ends where SPEC says once the
 * killed node has restarted from its own durable queue; duplicates (at-least-once delivery) are
 * counted. The killed node's next hops are down until its restart, so that the mail it acknowledged
 * is all still queued when it dies. Enforce mode, so that a denied mail relayed by mistake would show.
 */
class ClusterFailoverTest {
    private static final int CLIENTS = 4;
    private static final int ACKNOWLEDGED_BEFORE_THE_KILL = 200;
    /** Mails acknowledged on connections opened after the kill: node2's, through HAProxy. */
    private static final int ACKNOWLEDGED_AFTER_THE_KILL = 100;
    private static final int MAILS_PER_CONNECTION = 10;
    private static final List<TransportMail> MIX = List.of(TransportMail.OUTBOUND, TransportMail.INBOUND, TransportMail.FOREIGN_BY_XOORG);

    @Test
    void afterAKillMinus9NewConnectionsGoToTheSurvivorAndEveryAcknowledgedMailIsDeliveredOnceTheNodeRestarts() throws Exception {
        // node1's next hops are down until it restarts: every mail it acknowledged is still in its
        // queues when it is killed, and only its own durable queue can deliver it afterwards.
        List<NextHops> hops = List.of(NextHops.down(), NextHops.start());
        try (Cluster cluster = Cluster.builder()
            .nodes(2)
            .node(index -> JamesServer.builder().enforce(true).nextHops(hops.get(index)))
            .start()) {
            Map<String, TransportMail> acknowledged = new ConcurrentHashMap<>();
            Set<String> attempted = ConcurrentHashMap.newKeySet();
            Load load = new Load(cluster.smtpPort(), acknowledged, attempted);

            load.start();
            load.awaitAcknowledged(ACKNOWLEDGED_BEFORE_THE_KILL);
            cluster.node(0).kill();
            load.killed();
            load.awaitAcknowledgedAfterTheKill(ACKNOWLEDGED_AFTER_THE_KILL);
            cluster.haProxy().awaitStatus("node1", "DOWN", Duration.ofSeconds(30));
            load.stop();

            hops.get(0).up();
            cluster.node(0).start();
            cluster.haProxy().awaitStatus("node1", "UP", Duration.ofSeconds(60));
            int expected = acknowledged.values().stream().mapToInt(kind -> kind.expectedRelayed(true)).sum();
            awaitDelivered(cluster, hops, expected);

            SoftAssertions softly = new SoftAssertions();
            int duplicates = 0;
            Map<String, Integer> quarantined = ClusterTest.quarantinedByHeader(cluster.node(1), TransportMail.ID_HEADER);
            for (Map.Entry<String, TransportMail> mail : acknowledged.entrySet()) {
                String id = mail.getKey();
                TransportMail kind = mail.getValue();
                int onRoute = 0;
                int offRoute = 0;
                for (NextHops hop : hops) {
                    onRoute += copies(kind.nextHop(hop), id);
                    offRoute += copies(kind.otherHop(hop), id);
                }
                if (kind.denied) {
                    softly.assertThat(quarantined.getOrDefault(id, 0)).as("%s (%s) quarantined", id, kind).isEqualTo(1);
                    softly.assertThat(onRoute + offRoute).as("%s (%s) relayed although denied", id, kind).isZero();
                } else {
                    softly.assertThat(onRoute).as("%s (%s) on its next hop", id, kind).isPositive();
                    softly.assertThat(offRoute).as("%s (%s) on the other next hop", id, kind).isZero();
                    softly.assertThat(quarantined.getOrDefault(id, 0)).as("%s (%s) quarantined", id, kind).isZero();
                    duplicates += Math.max(0, onRoute - 1);
                }
            }
            List<String> unknown = new ArrayList<>();
            for (NextHops hop : hops) {
                for (SmtpSink sink : List.of(hop.internet(), hop.m365())) {
                    sink.received().stream()
                        .map(received -> received.header(TransportMail.ID_HEADER))
                        .filter(id -> !attempted.contains(id))
                        .forEach(unknown::add);
                }
            }
            softly.assertThat(unknown).as("mails at the next hops that were never sent").isEmpty();
            for (JamesServer node : cluster.nodes()) {
                softly.assertThat(node.webAdmin().mailKeys(JamesServer.ERROR_REPOSITORY)).as("error repository").isEmpty();
            }
            softly.assertThat(load.failedAfterTheKill.get()).as("connections opened after the kill that got no SMTP greeting").isZero();
            int deliveredByNode1AfterTheRestart = total(hops.get(0));
            softly.assertThat(deliveredByNode1AfterTheRestart)
                .as("mails node1 acknowledged before the kill, delivered from its queue after its restart")
                .isPositive();
            System.out.printf("kill -9 of node1 of 2 under %d clients through HAProxy: %d acknowledged (%d on connections opened after the kill), "
                    + "%d sessions cut by the kill, %d connections opened after the kill refused, node1 delivered %d after its restart, %d duplicates%n",
                CLIENTS, acknowledged.size(), load.acknowledgedAfterTheKill.get(), load.cutByTheKill.get(), load.failedAfterTheKill.get(),
                deliveredByNode1AfterTheRestart, duplicates);
            softly.assertAll();
        } finally {
            hops.forEach(NextHops::close);
        }
    }

    /** Clients that send through HAProxy, each connection from its kind's source, until stopped. */
    private static final class Load {
        private final int port;
        private final Map<String, TransportMail> acknowledged;
        private final Set<String> attempted;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicInteger connections = new AtomicInteger();
        private final ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        private volatile boolean killed;
        final AtomicInteger cutByTheKill = new AtomicInteger();
        final AtomicInteger failedAfterTheKill = new AtomicInteger();
        final AtomicInteger acknowledgedAfterTheKill = new AtomicInteger();

        Load(int port, Map<String, TransportMail> acknowledged, Set<String> attempted) {
            this.port = port;
            this.acknowledged = acknowledged;
            this.attempted = attempted;
        }

        void start() {
            for (int c = 0; c < CLIENTS; c++) {
                clients.submit(() -> {
                    while (!stopped.get()) {
                        boolean openedAfterTheKill = killed;
                        try {
                            oneConnection(connections.getAndIncrement(), openedAfterTheKill);
                        } catch (IOException e) {
                            if (openedAfterTheKill) {
                                failedAfterTheKill.incrementAndGet();
                            } else {
                                cutByTheKill.incrementAndGet();
                            }
                        }
                    }
                });
            }
        }

        private void oneConnection(int n, boolean afterTheKill) throws IOException {
            TransportMail kind = MIX.get(n % MIX.size());
            String source = kind.fromExchangeOnline ? JamesServer.M365_HOST_SOURCE : JamesServer.INTERNET_HOST_SOURCE;
            try (SmtpClient client = SmtpClient.connect(port, Optional.of(source), Optional.empty())) {
                client.ehlo();
                for (int i = 0; i < MAILS_PER_CONNECTION && !stopped.get(); i++) {
                    String id = "failover-" + kind.name().toLowerCase() + "-" + n + "-" + i;
                    attempted.add(id);
                    SmtpClient.Reply reply = client.transaction(kind.sender, kind.mailParameters, List.of(kind.recipient), kind.message(id));
                    if (reply.code == 250) {
                        acknowledged.put(id, kind);
                        if (afterTheKill) {
                            acknowledgedAfterTheKill.incrementAndGet();
                        }
                    }
                }
            }
        }

        void killed() {
            killed = true;
        }

        void awaitAcknowledged(int count) throws InterruptedException {
            await(acknowledged::size, count);
        }

        void awaitAcknowledgedAfterTheKill(int count) throws InterruptedException {
            await(acknowledgedAfterTheKill::get, count);
        }

        private static void await(IntSupplier acknowledged, int count) throws InterruptedException {
            Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
            while (acknowledged.getAsInt() < count) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException(acknowledged.getAsInt() + " mails acknowledged of " + count + " within 3 minutes");
                }
                Thread.sleep(5);
            }
        }

        void stop() throws InterruptedException {
            stopped.set(true);
            clients.shutdown();
            assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static void awaitDelivered(Cluster cluster, List<NextHops> hops, int expected) {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (Instant.now().isBefore(deadline)) {
            if (hops.stream().mapToInt(ClusterFailoverTest::total).sum() >= expected
                && cluster.nodes().stream().allMatch(ClusterTest::queuesEmpty)) {
                Pause.sleep(2000);
                if (cluster.nodes().stream().allMatch(ClusterTest::queuesEmpty)) {
                    return;
                }
            }
            Pause.sleep(250);
        }
    }

    private static int total(NextHops hop) {
        return hop.internet().count() + hop.m365().count();
    }

    private static int copies(SmtpSink sink, String id) {
        return (int) sink.received().stream().filter(mail -> mail.header(TransportMail.ID_HEADER).equals(id)).count();
    }

}
