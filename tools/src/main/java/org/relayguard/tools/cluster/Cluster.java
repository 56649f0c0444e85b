package org.relayguard.tools.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.ScratchDirectories;
import org.relayguard.tools.process.Ports;

/**
 * Several Relay Guard gateways, one PostgreSQL, HAProxy in front: each node is a Relay Guard server
 * with its own root (its own durable queues under {@code var/}, its own error repository, decision
 * log and listeners) and shares with the others, through {@code conf/james-database.properties},
 * the DomainList and the quarantine ({@code RELAYGUARD_QUARANTINE=jpa://var/mail/m365-relaydeny/}).
 * HAProxy speaks the PROXY protocol to each node's proxy listener.
 *
 * <p>Layout under the cluster root: {@code pg/} (PostgreSQL's data and log), {@code node1/},
 * {@code node2/}, … (server roots), {@code haproxy/} ({@code haproxy.cfg}, {@code haproxy.log}).
 * The nodes start one after the other, the first one creating the tables.</p>
 */
public final class Cluster implements AutoCloseable {
    public static final String SHARED_QUARANTINE = "jpa://var/mail/m365-relaydeny/";

    public static final class Builder {
        private Path root;
        private int nodes = 2;
        private int postgresPort;
        private int haProxyPort;
        private int statsPort;
        private IntFunction<JamesServer.Builder> node = index -> JamesServer.builder();
        private List<HaProxy.Frontend> extraFrontends = List.of();
        private IntFunction<String> databaseProperties = index -> "";
        private boolean sharedQueues;
        private IntFunction<Integer> databasePort = index -> 0;

        /** The cluster's directory; a new temporary one if not given. */
        public Builder root(Path root) {
            this.root = root;
            return this;
        }

        public Builder nodes(int nodes) {
            this.nodes = nodes;
            return this;
        }

        public Builder ports(int postgresPort, int haProxyPort, int statsPort) {
            this.postgresPort = postgresPort;
            this.haProxyPort = haProxyPort;
            this.statsPort = statsPort;
            return this;
        }

        /** How each node (0, 1, …) is set up: profile, mode, next hops, ports; root and database are the cluster's. */
        public Builder node(IntFunction<JamesServer.Builder> node) {
            this.node = node;
            return this;
        }

        /** Lines added to a node's {@code conf/james-database.properties} (e.g. {@code relayguard.domainlist.copy=true}). */
        public Builder databaseProperties(IntFunction<String> databaseProperties) {
            this.databaseProperties = databaseProperties;
            return this;
        }

        /**
         * Every node's mail queues in PostgreSQL ({@code relayguard.queue.store=database}), each node
         * the backup of every other node's store: a node's queued mail survives the node.
         */
        public Builder sharedQueues(boolean sharedQueues) {
            this.sharedQueues = sharedQueues;
            return this;
        }

        /** The port node {@code index} reaches PostgreSQL on (a proxy in front of it); 0: PostgreSQL's own. */
        public Builder databasePort(IntFunction<Integer> databasePort) {
            this.databasePort = databasePort;
            return this;
        }

        public Builder extraFrontends(List<HaProxy.Frontend> extraFrontends) {
            this.extraFrontends = List.copyOf(extraFrontends);
            return this;
        }

        public Cluster start() throws IOException {
            Path actualRoot = root != null ? root.toAbsolutePath() : ScratchDirectories.create("relayguard-cluster-");
            Files.createDirectories(actualRoot);
            // As root, PostgreSQL runs as user postgres, which must be able to reach pg/.
            Files.setPosixFilePermissions(actualRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
            Cluster cluster = new Cluster(actualRoot);
            try {
                cluster.startAll(this);
            } catch (IOException | RuntimeException e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private final Path root;
    private PostgresServer postgres;
    private final List<JamesServer> nodes = new ArrayList<>();
    private HaProxy haProxy;

    private Cluster(Path root) {
        this.root = root;
    }

    private void startAll(Builder builder) throws IOException {
        // Both binaries first: a machine without them fails here, saying how to install them.
        PostgresServer.binaries();
        HaProxy.binary();
        postgres = PostgresServer.start(root.resolve("pg"), portOr(builder.postgresPort), password());
        List<HaProxy.Node> proxied = new ArrayList<>();
        for (int i = 0; i < builder.nodes; i++) {
            Path nodeRoot = root.resolve("node" + (i + 1));
            JamesServer node = builder.node.apply(i)
                .root(nodeRoot)
                .env("RELAYGUARD_QUARANTINE", SHARED_QUARANTINE)
                .log(nodeRoot.resolve("james.log"))
                .prepare();
            String queues = builder.sharedQueues ? sharedQueueProperties(i, builder.nodes) : "";
            Files.writeString(node.conf("james-database.properties"),
                postgres.jamesDatabaseProperties(databasePortOr(builder.databasePort.apply(i))) + queues + builder.databaseProperties.apply(i),
                StandardCharsets.UTF_8);
            nodes.add(node);
            node.start();
            proxied.add(new HaProxy.Node(node.proxySmtpPort(), node.webAdminPort()));
        }
        haProxy = HaProxy.start(root.resolve("haproxy"), portOr(builder.haProxyPort), portOr(builder.statsPort), proxied, builder.extraFrontends);
        for (int i = 0; i < nodes.size(); i++) {
            haProxy.awaitStatus("node" + (i + 1), "UP", java.time.Duration.ofSeconds(30));
        }
    }

    private int databasePortOr(int port) {
        return port != 0 ? port : postgres.port();
    }

    /** Node {@code index}'s queues in the database, backing up every other node's. */
    static String sharedQueueProperties(int index, int nodes) {
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            if (i != index) {
                peers.add(nodeName(i));
            }
        }
        return sharedQueueProperties(nodeName(index), peers);
    }

    /** The {@code james-database.properties} lines of a node whose queues are in the database, backing up its peers'. */
    public static String sharedQueueProperties(String node, List<String> peers) {
        return "relayguard.queue.store=database\n"
            + "relayguard.queue.node=" + node + "\n"
            + "relayguard.queue.peers=" + String.join(",", peers) + "\n";
    }

    /** node1, node2, …: the nodes' directories, HAProxy's server names, and their queue stores' names. */
    public static String nodeName(int index) {
        return "node" + (index + 1);
    }

    /** The password of the gateways' database role, kept in pg/ so that a restarted cluster finds it. */
    private String password() throws IOException {
        Path file = root.resolve("database-password");
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            password.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return password.toString();
    }

    private static int portOr(int port) throws IOException {
        return port != 0 ? port : Ports.free();
    }

    public Path root() {
        return root;
    }

    /** The port clients send to: HAProxy's SMTP frontend. */
    public int smtpPort() {
        return haProxy.port();
    }

    public HaProxy haProxy() {
        return haProxy;
    }

    public PostgresServer postgres() {
        return postgres;
    }

    /** Node 0, 1, …: HAProxy names them node1, node2, … */
    public JamesServer node(int index) {
        return nodes.get(index);
    }

    public List<JamesServer> nodes() {
        return List.copyOf(nodes);
    }

    /** Stops HAProxy, then the nodes, then PostgreSQL: nothing is left running. */
    @Override
    public void close() throws IOException {
        Map<String, Exception> failures = new HashMap<>();
        if (haProxy != null) {
            haProxy.close();
        }
        for (JamesServer node : nodes) {
            node.close();
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (UncheckedIOException e) {
                failures.put("postgres", e.getCause());
            }
        }
        if (!failures.isEmpty()) {
            throw new IOException("cluster did not stop cleanly: " + failures);
        }
    }
}
