package org.relayguard.tools.load;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.relayguard.tools.cluster.Cluster;
import org.relayguard.tools.cluster.HaProxy;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.process.Ports;

/**
 * {@code ./perf.sh cluster}: throughput through HAProxy of one node and of two, in one run, on
 * one PostgreSQL. One cluster of three Relay Guard nodes (hardened profile) behind one HAProxy
 * with three frontends: {@code two} balances over node1 and node2, {@code one} sends to node1 only,
 * {@code copy} to node3 only, whose DomainList answers from a copy in memory
 * ({@code relayguard.domainlist.copy=true}) where node1 and node2 ask the database for every
 * question. Rounds alternate between the frontends, as {@link LoadDriver} alternates its gateways;
 * every node delivers to the same two next hops, so that a mail is counted wherever it went.
 * Ratios: two nodes / one node, and DomainList copy / live (one node each). Not part of
 * {@code mvn verify}.
 *
 * <p>{@code --ha}: the mail queues in PostgreSQL against local ones instead, in one run. Four
 * nodes: {@code two} balances over node1 and node2 (local queues, as above), {@code ha} over node3
 * and node4, whose queues are in PostgreSQL, each the other's backup
 * ({@code relayguard.queue.store=database}). Ratio: HA / local, two nodes each.</p>
 */
public final class ClusterLoadDriver extends Driver {

    private ClusterLoadDriver(Map<String, String> options) {
        super(options, 6_000, 3, 2_000);
    }

    public static void main(String[] args) throws Exception {
        Driver.main(args, "options: --mails N per setup, all rounds (6000) --rounds R (3) --warmup W per setup (2000) "
                + "--connections C (8) --mails-per-connection M (100) --mix " + Mix.DEFAULT + " --enforce --seed S (42) --pause SECONDS (5) "
                + "--ha (queues in PostgreSQL against local ones)", ClusterLoadDriver::new, "enforce", "ha");
    }

    /** A way into the cluster: an HAProxy frontend and the nodes behind it. */
    private static final class Setup extends Measured {
        final String name;
        final String description;
        final int port;
        final LoadRun load;
        double lastRate;

        Setup(String name, String description, int port, NextHops hops, int connections, int perConnection) {
            this.name = name;
            this.description = description;
            this.port = port;
            this.load = new LoadRun(() -> port, hops, connections, perConnection);
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f |", name, description, mails,
                endToEndRate(), smtpRate(), percentile(0.50), percentile(0.99));
        }
    }

    @Override
    boolean run() throws Exception {
        boolean enforce = options.containsKey("enforce");
        if (options.containsKey("ha")) {
            return runHa(enforce);
        }

        System.out.printf(Locale.ROOT, "Relay Guard cluster load: %d mails per setup in %d rounds (after %d warm-up mails each) through HAProxy, "
                + "%d concurrent SMTP clients, %d mails per connection, %s mode, mix %s%n",
            load.mails, load.rounds, load.warmup, load.connections, load.perConnection, enforce ? "enforce" : "audit", load.mix);
        System.out.println(LoadDriver.machine());

        int onePort = Ports.free();
        int twoPort = Ports.free();
        int copyPort = Ports.free();
        List<LoadRun.Mail> sent = new ArrayList<>();
        try (NextHops hops = NextHops.start();
             Cluster cluster = Cluster.builder()
                 .nodes(3)
                 .node(index -> JamesServer.builder().enforce(enforce).nextHops(hops))
                 .databaseProperties(index -> index == 2 ? "relayguard.domainlist.copy=true\n" : "")
                 .extraFrontends(List.of(
                     new HaProxy.Frontend("one", onePort, List.of(0)),
                     new HaProxy.Frontend("two", twoPort, List.of(0, 1)),
                     new HaProxy.Frontend("copy", copyPort, List.of(2))))
                 .start()) {
            Setup one = new Setup("one node", "node1 (DomainList read live)", onePort, hops, load.connections, load.perConnection);
            Setup two = new Setup("two nodes", "node1 + node2, round robin", twoPort, hops, load.connections, load.perConnection);
            Setup copy = new Setup("one node, copy", "node3 (DomainList copy in memory)", copyPort, hops, load.connections, load.perConnection);
            List<Setup> setups = List.of(one, two, copy);

            for (Setup setup : setups) {
                send(setup, LoadRun.mails(setup.name.replace(' ', '-').replace(",", "") + "-warmup", load.mix, load.warmup, load.seed), sent, enforce, false);
            }
            List<Double> scaling = new ArrayList<>();
            List<Double> domainListCopy = new ArrayList<>();
            for (int round = 0; round < load.rounds; round++) {
                List<Setup> order = new ArrayList<>(setups);
                Collections.rotate(order, round);
                for (Setup setup : order) {
                    Thread.sleep(load.pauseMillis);
                    List<LoadRun.Mail> roundMails = LoadRun.mails(setup.name.replace(' ', '-').replace(",", "") + "-round" + round, load.mix,
                        load.mailsOfRun(round, load.rounds), load.seed + 1 + round);
                    send(setup, roundMails, sent, enforce, true);
                }
                scaling.add(two.lastRate / one.lastRate);
                domainListCopy.add(copy.lastRate / one.lastRate);
            }

            System.out.println();
            System.out.println("| Setup | Nodes behind HAProxy | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms |");
            System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            setups.forEach(setup -> System.out.println(setup.row()));
            System.out.printf(Locale.ROOT, "%nRatio two nodes / one node: %.3f end to end, %.3f accepted over SMTP; each round: %s, median %.3f%n",
                two.endToEndRate() / one.endToEndRate(), two.smtpRate() / one.smtpRate(), DriverArguments.ratios(scaling), LoadDriver.median(scaling));
            System.out.printf(Locale.ROOT, "Ratio DomainList copy / read live (one node each): %.3f end to end, %.3f accepted over SMTP; each round: %s, median %.3f%n",
                copy.endToEndRate() / one.endToEndRate(), copy.smtpRate() / one.smtpRate(), DriverArguments.ratios(domainListCopy), LoadDriver.median(domainListCopy));
            System.out.printf(Locale.ROOT, "Load average at the end: %.2f on %d cores (PostgreSQL, HAProxy, the nodes and this driver share them)%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Runtime.getRuntime().availableProcessors());

            return accounted(cluster, hops, sent, enforce);
        }
    }

    /** {@code --ha}: two nodes with their queues in PostgreSQL against two with local queues. */
    private boolean runHa(boolean enforce) throws Exception {
        System.out.printf(Locale.ROOT, "Relay Guard cluster load, queues in PostgreSQL against local queues: %d mails per setup in %d rounds "
                + "(after %d warm-up mails each) through HAProxy, %d concurrent SMTP clients, %d mails per connection, %s mode, mix %s%n",
            load.mails, load.rounds, load.warmup, load.connections, load.perConnection, enforce ? "enforce" : "audit", load.mix);
        System.out.println(LoadDriver.machine());

        int localPort = Ports.free();
        int haPort = Ports.free();
        List<LoadRun.Mail> sent = new ArrayList<>();
        try (NextHops hops = NextHops.start();
             Cluster cluster = Cluster.builder()
                 .nodes(4)
                 .node(index -> JamesServer.builder().enforce(enforce).nextHops(hops))
                 .databaseProperties(index -> index < 2 ? ""
                     : Cluster.sharedQueueProperties(Cluster.nodeName(index), List.of(Cluster.nodeName(index == 2 ? 3 : 2))))
                 .extraFrontends(List.of(
                     new HaProxy.Frontend("local", localPort, List.of(0, 1)),
                     new HaProxy.Frontend("ha", haPort, List.of(2, 3))))
                 .start()) {
            Setup local = new Setup("local queues", "node1 + node2, queues on their disks", localPort, hops, load.connections, load.perConnection);
            Setup ha = new Setup("queues in PostgreSQL", "node3 + node4, each the other's backup", haPort, hops, load.connections, load.perConnection);
            List<Setup> setups = List.of(local, ha);
            for (Setup setup : setups) {
                send(setup, LoadRun.mails(setupName(setup) + "-warmup", load.mix, load.warmup, load.seed), sent, enforce, false);
            }
            List<Double> ratios = new ArrayList<>();
            for (int round = 0; round < load.rounds; round++) {
                List<Setup> order = new ArrayList<>(setups);
                Collections.rotate(order, round);
                for (Setup setup : order) {
                    Thread.sleep(load.pauseMillis);
                    send(setup, LoadRun.mails(setupName(setup) + "-round" + round, load.mix, load.mailsOfRun(round, load.rounds), load.seed + 1 + round),
                        sent, enforce, true);
                }
                ratios.add(ha.lastRate / local.lastRate);
            }

            System.out.println();
            System.out.println("| Setup | Nodes behind HAProxy | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms |");
            System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            setups.forEach(setup -> System.out.println(setup.row()));
            System.out.printf(Locale.ROOT, "%nRatio queues in PostgreSQL / local queues (two nodes each): %.3f end to end, %.3f accepted over SMTP; "
                    + "each round: %s, median %.3f (goal: 0.7 or more)%n",
                ha.endToEndRate() / local.endToEndRate(), ha.smtpRate() / local.smtpRate(), DriverArguments.ratios(ratios), LoadDriver.median(ratios));
            System.out.printf(Locale.ROOT, "Load average at the end: %.2f on %d cores (PostgreSQL, HAProxy, the nodes and this driver share them)%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), Runtime.getRuntime().availableProcessors());
            return accounted(cluster, hops, sent, enforce);
        }
    }

    private static String setupName(Setup setup) {
        return setup.name.replace(' ', '-').replace(",", "");
    }

    /** Every mail where it belongs, whichever node took it; no node's error repository holds any. */
    private static boolean accounted(Cluster cluster, NextHops hops, List<LoadRun.Mail> sent, boolean enforce) {
        for (JamesServer node : cluster.nodes()) {
            Outcomes.await(node, hops, Accounting.expectedRelayed(sent, Accounting.Pipeline.HARDENED, enforce), MailKind.ID_HEADER, Duration.ofMinutes(5));
        }
        Accounting accounting = Accounting.of(Outcomes.read(cluster.node(0), hops, MailKind.ID_HEADER), sent, Accounting.Pipeline.HARDENED, enforce);
        int otherErrors = 0;
        for (JamesServer node : cluster.nodes().subList(1, cluster.nodes().size())) {
            otherErrors += node.webAdmin().mailKeys(JamesServer.ERROR_REPOSITORY).size();
        }
        System.out.println();
        System.out.println("Accounting, the whole cluster: " + accounting + (otherErrors == 0 ? "" : "; error repositories of the other nodes: " + otherErrors));
        return accounting.isExact() && otherErrors == 0;
    }

    private static void send(Setup setup, List<LoadRun.Mail> mails, List<LoadRun.Mail> sent, boolean enforce, boolean measured) throws InterruptedException {
        sent.addAll(mails);
        LoadRun.Result result = setup.load.send(mails, Accounting.expectedRelayed(sent, Accounting.Pipeline.HARDENED, enforce), ROUND_TIMEOUT);
        setup.lastRate = LoadDriver.rate(result.mails, result.endToEndNanos);
        System.out.printf(Locale.ROOT, "%-8s %-15s %6d mails: %7.1f mails/s end to end, %7.1f accepted/s, p50 %.1f ms, p99 %.1f ms%n",
            measured ? "measured" : "warm-up", setup.name, result.mails, setup.lastRate, LoadDriver.rate(result.mails, result.smtpNanos),
            LoadDriver.percentile(List.of(result.latencies), 0.50), LoadDriver.percentile(List.of(result.latencies), 0.99));
        if (measured) {
            setup.add(result);
        }
    }
}
