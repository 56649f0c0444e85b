package org.relayguard.tools.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;

/**
 * {@code ./cluster.sh}: the reference cluster on this machine, started in one command and stopped
 * by Ctrl-C: PostgreSQL, two (or more) Relay Guard nodes and HAProxy, laid out under one directory
 * ({@code run-cluster/}) that keeps their state across runs. {@code ./cluster.sh --help} lists the
 * options; docs/cluster.md explains the layout.
 */
public final class ClusterMain {
    static final String USAGE = String.join("\n",
        "Usage: ./cluster.sh [--nodes N] [--demo] [--proofpoint] [--enforce] [--local-queues]",
        "                    [--port PORT] [--pg-port PORT] [--root DIR] [--no-build] [--offline]",
        "",
        "Starts a Relay Guard cluster on 127.0.0.1 until Ctrl-C: one PostgreSQL (the Debian package's",
        "binaries), N Relay Guard nodes (default 2) and HAProxy in front, speaking the PROXY protocol",
        "to each node. The nodes share the DomainList and the quarantine (jpa://var/mail/m365-relaydeny/)",
        "in PostgreSQL, and keep their mail queues there too: each node's queues in tables of its own,",
        "taken over and delivered by another node when it dies (relayguard.queue.store=database).",
        "",
        "  --nodes N        number of gateway nodes, 1 to 9 (default 2)",
        "  --demo           relay to local SMTP sinks (one per route, shared by the nodes) instead of",
        "                   the internet and Microsoft 365, and name a client on 127.0.0.2 as a",
        "                   Microsoft 365 host (demo hosts file), as ./run.sh --demo does",
        "  --proofpoint     the Proofpoint profile instead of the hardened one (new nodes only)",
        "  --enforce        enforce mode (RELAYGUARD_ENFORCE=true)",
        "  --local-queues   each node's mail queues on its own disk (var/store/artemis), as before:",
        "                   a dead node's queued mail waits for that node's restart",
        "  --port PORT      HAProxy's SMTP port, default 2625; the other ports follow from it:",
        "                   HAProxy statistics PORT+55 (/stats), node i: SMTP PORT+10+i,",
        "                   PROXY listener PORT+20+i, webadmin 8100+i",
        "  --pg-port PORT   PostgreSQL's port, default 55432",
        "  --root DIR       where the cluster lives, default run-cluster/: pg/ (database),",
        "                   node1/ node2/ ... (server roots), haproxy/ (haproxy.cfg, haproxy.log)",
        "  --no-build       skip the Maven build, run what was built last",
        "  --offline        build with mvn -o",
        "",
        "State survives a restart of the script (rm -r run-cluster starts afresh). Ctrl-C stops",
        "HAProxy, the nodes, then PostgreSQL.");

    private ClusterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of("run-cluster");
        int nodes = 2;
        int port = 2625;
        int postgresPort = 55432;
        boolean demo = false;
        boolean enforce = false;
        boolean sharedQueues = true;
        JamesServer.Profile profile = JamesServer.Profile.HARDENED;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root":
                    root = Path.of(value(args, ++i));
                    break;
                case "--nodes":
                    nodes = number(value(args, ++i), 1, 9, "--nodes");
                    break;
                case "--port":
                    port = number(value(args, ++i), 1025, 65000 - 60, "--port");
                    break;
                case "--pg-port":
                    postgresPort = number(value(args, ++i), 1025, 65535, "--pg-port");
                    break;
                case "--demo":
                    demo = true;
                    break;
                case "--enforce":
                    enforce = true;
                    break;
                case "--local-queues":
                    sharedQueues = false;
                    break;
                case "--proofpoint":
                    profile = JamesServer.Profile.PROOFPOINT;
                    break;
                case "-h":
                case "--help":
                    System.out.println(USAGE);
                    return;
                default:
                    fail("unknown option: " + args[i] + "\n" + USAGE);
            }
        }
        root = root.toAbsolutePath().normalize();
        int statsPort = port + 55;
        List<Integer> ports = new ArrayList<>(List.of(port, statsPort, postgresPort));
        for (int i = 0; i < nodes; i++) {
            ports.addAll(List.of(port + 10 + i + 1, port + 20 + i + 1, 8100 + i + 1));
        }
        for (int used : ports) {
            if (!free(used)) {
                fail("port " + used + " is in use on 127.0.0.1; is the cluster already running? Choose other ports with --port.");
            }
        }

        NextHops hops = demo ? NextHops.start() : null;
        int first = port;
        boolean demoHosts = demo;
        boolean enforceMode = enforce;
        JamesServer.Profile nodeProfile = profile;
        System.out.printf("Starting PostgreSQL, %d Relay Guard node(s) and HAProxy under %s ...%n", nodes, root);
        Cluster cluster = Cluster.builder()
            .root(root)
            .nodes(nodes)
            .sharedQueues(sharedQueues)
            .ports(postgresPort, port, statsPort)
            .node(index -> {
                JamesServer.Builder node = JamesServer.builder()
                    .profile(nodeProfile)
                    .demoHostNames(demoHosts)
                    .env("RELAYGUARD_SMTP_BIND", "127.0.0.1:" + (first + 10 + index + 1))
                    .env("RELAYGUARD_SMTP_PROXY_BIND", "127.0.0.1:" + (first + 20 + index + 1))
                    .env("RELAYGUARD_WEBADMIN_PORT", String.valueOf(8100 + index + 1));
                System.getenv().forEach((name, value) -> {
                    if (name.startsWith("RELAYGUARD_") && !name.endsWith("_BIND") && !name.endsWith("_PORT")) {
                        node.env(name, value);
                    }
                });
                if (enforceMode) {
                    node.enforce(true);
                }
                if (hops != null) {
                    node.nextHops(hops);
                }
                return node;
            })
            .start();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nStopping HAProxy, the nodes, then PostgreSQL ...");
            try {
                cluster.close();
            } catch (IOException e) {
                System.err.println(e.getMessage());
            }
            if (hops != null) {
                hops.close();
            }
            System.out.println("Cluster stopped.");
            stopped.countDown();
        }, "stop-cluster"));

        StringBuilder summary = new StringBuilder()
            .append("\nRelay Guard cluster running (").append(nodeProfile.name().toLowerCase()).append(" profile, ")
            .append(enforce ? "enforce" : "the conf's").append(" mode, ")
            .append(sharedQueues ? "mail queues in PostgreSQL, taken over by a surviving node" : "mail queues on each node's disk")
            .append("):\n")
            .append("  SMTP         127.0.0.1:").append(port).append(" (HAProxy; statistics http://127.0.0.1:").append(statsPort).append("/stats)\n")
            .append("  PostgreSQL   127.0.0.1:").append(postgresPort).append(" database ").append(PostgresServer.DATABASE)
            .append(", user ").append(PostgresServer.ROLE).append(", password in ").append(root.resolve("database-password")).append('\n');
        for (int i = 0; i < nodes; i++) {
            JamesServer node = cluster.node(i);
            summary.append("  node").append(i + 1).append("        ").append(node.root())
                .append(": SMTP ").append(node.smtpPort()).append(", PROXY ").append(node.proxySmtpPort())
                .append(", webadmin http://127.0.0.1:").append(node.webAdminPort()).append('\n');
        }
        if (hops != null) {
            summary.append("  Next hops    local sinks: M365 127.0.0.1:").append(hops.m365Port())
                .append(", internet 127.0.0.1:").append(hops.internetPort()).append('\n');
        }
        // Each node has its own webadmin key pair (conf/webadmin/), so a token of its own.
        summary.append("Shared quarantine, from any node (webadmin wants a token of that node's bin/relayguard-token):\n")
            .append("  curl -s -H \"Authorization: Bearer $(").append(tokenCommand(cluster.node(0))).append(")\" http://127.0.0.1:")
            .append(cluster.node(0).webAdminPort()).append("/mailRepositories/var%2Fmail%2Fm365-relaydeny/mails\n")
            .append("  curl -s -H \"Authorization: Bearer $(").append(tokenCommand(cluster.node(nodes - 1))).append(")\" http://127.0.0.1:")
            .append(cluster.node(nodes - 1).webAdminPort()).append("/relayguard/quarantine/var%2Fmail%2Fm365-relaydeny/report\n")
            .append("Ctrl-C stops everything.");
        System.out.println(summary);
        stopped.await();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            fail(args[i - 1] + " needs a value\n" + USAGE);
        }
        return args[i];
    }

    private static int number(String text, int min, int max, String option) {
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail(option + " needs a number from " + min + " to " + max + ", not " + text);
        return 0;
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void fail(String message) {
        System.err.println("cluster.sh: " + message);
        System.exit(2);
    }

    private static String tokenCommand(JamesServer node) {
        return "RELAYGUARD_ROOT=" + node.root() + " " + JamesServer.defaultServerDir().resolve("bin/relayguard-token");
    }
}
