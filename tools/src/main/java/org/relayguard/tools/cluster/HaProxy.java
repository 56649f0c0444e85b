package org.relayguard.tools.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.relayguard.tools.process.Commands;
import org.relayguard.tools.process.Pause;
import org.relayguard.tools.process.Ports;
import org.relayguard.tools.process.ServerProcess;

/**
 * A real HAProxy (the Debian package's, 2.6) in front of the gateways, in TCP mode: each SMTP
 * connection goes to one node's PROXY-protocol listener with a PROXY v2 header that carries the
 * client's real address, so that every node sees the Microsoft 365 host it would see without the
 * proxy. A node is checked every second (James's own health check, webadmin {@code /healthcheck})
 * and taken out after two failures; a connection that cannot reach its node is sent to another one
 * ({@code redispatch}).
 *
 * <p>Frontends: {@code smtp} balances over every node; each {@link Frontend} given adds one over a
 * subset (the benchmark compares one node with two through the same HAProxy). Statistics (CSV) on
 * {@code /stats;csv} of the stats port.</p>
 */
public final class HaProxy extends ServerProcess {
    public static final String BACKEND = "gateways";

    /** A node as HAProxy reaches it: its PROXY-protocol SMTP listener, and webadmin for the health check. */
    public static final class Node {
        final int proxyPort;
        final int webAdminPort;

        public Node(int proxyPort, int webAdminPort) {
            this.proxyPort = proxyPort;
            this.webAdminPort = webAdminPort;
        }
    }

    /** A frontend port balancing over some of the nodes (by index). */
    public static final class Frontend {
        final String name;
        final int port;
        final List<Integer> nodes;

        public Frontend(String name, int port, List<Integer> nodes) {
            this.name = name;
            this.port = port;
            this.nodes = List.copyOf(nodes);
        }
    }

    private final Path config;
    private final Path log;
    private final int port;
    private final int statsPort;

    private HaProxy(Path config, Path log, int port, int statsPort) {
        super("haproxy");
        this.config = config;
        this.log = log;
        this.port = port;
        this.statsPort = statsPort;
    }

    /** The {@code haproxy} executable, or a failure that says how to install it. */
    public static Path binary() {
        return Commands.find("haproxy", Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .filter(entry -> !entry.isEmpty()).map(Path::of))
            .or(() -> Commands.find("haproxy", Stream.of(Path.of("/usr/sbin"))))
            .orElseThrow(() -> new IllegalStateException("haproxy not found on the PATH nor in /usr/sbin: " + PostgresServer.INSTALL_HINT));
    }

    /**
     * Writes {@code haproxy.cfg} into {@code directory} for the nodes' PROXY-protocol ports and starts
     * HAProxy in the foreground of a child process (its log {@code haproxy.log}).
     */
    public static HaProxy start(Path directory, int port, int statsPort, List<Node> nodes, List<Frontend> extraFrontends) throws IOException {
        Path binary = binary();
        Files.createDirectories(directory);
        Path config = directory.resolve("haproxy.cfg");
        Files.writeString(config, config(port, statsPort, nodes, extraFrontends), StandardCharsets.UTF_8);
        HaProxy haProxy = new HaProxy(config, directory.resolve("haproxy.log"), port, statsPort);
        Commands.run(List.of(binary.toString(), "-c", "-f", config.toString()), Map.of(), 30);
        haProxy.launch(binary);
        return haProxy;
    }

    static String config(int port, int statsPort, List<Node> nodes, List<Frontend> extraFrontends) {
        List<String> lines = new ArrayList<>(List.of(
            "# Written by Relay Guard's cluster (docs/cluster.md): HAProxy in front of the gateways' PROXY-protocol listeners.",
            "global",
            "    maxconn 4000",
            "",
            "defaults",
            "    mode tcp",
            "    log global",
            "    timeout connect 5s",
            // James's SMTP connection timeout is 360 s: let James end idle sessions, not HAProxy.
            "    timeout client 400s",
            "    timeout server 400s",
            // A connection whose node is down goes to another node.
            "    retries 2",
            "    option redispatch",
            "",
            "frontend smtp",
            "    bind 127.0.0.1:" + port,
            "    default_backend " + BACKEND,
            ""));
        lines.addAll(backend(BACKEND, nodes, indexes(nodes.size())));
        for (Frontend frontend : extraFrontends) {
            lines.addAll(List.of(
                "frontend " + frontend.name,
                "    bind 127.0.0.1:" + frontend.port,
                "    default_backend " + frontend.name + "_nodes",
                ""));
            lines.addAll(backend(frontend.name + "_nodes", nodes, frontend.nodes));
        }
        lines.addAll(List.of(
            "listen stats",
            "    mode http",
            "    bind 127.0.0.1:" + statsPort,
            "    stats enable",
            "    stats uri /stats",
            "    stats refresh 5s",
            ""));
        return String.join("\n", lines);
    }

    private static List<String> backend(String name, List<Node> nodes, List<Integer> indexes) {
        List<String> lines = new ArrayList<>(List.of(
            "backend " + name,
            "    balance roundrobin",
            // Health: James's own (webadmin GET /healthcheck answers 200 while every component is
            // healthy), every second, out after 2 failures. On another port than the traffic, the
            // check sends no PROXY header (a v2 LOCAL header would make James log an error per check).
            "    option httpchk GET /healthcheck",
            "    http-check expect status 200",
            // PROXY v2 header with the client's address on every connection.
            "    default-server send-proxy-v2 check inter 1s fall 2 rise 2"));
        for (int index : indexes) {
            Node node = nodes.get(index);
            lines.add("    server node" + (index + 1) + " 127.0.0.1:" + node.proxyPort + " check port " + node.webAdminPort);
        }
        lines.add("");
        return lines;
    }

    private static List<Integer> indexes(int count) {
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            indexes.add(i);
        }
        return indexes;
    }

    private void launch(Path binary) throws IOException {
        // -db: in the foreground, not as a daemon, so that it ends with its parent's stop().
        Process process = startChild(new ProcessBuilder(binary.toString(), "-db", "-f", config.toString()), log, true);
        if (!awaitReady(() -> Ports.accepts(port) && Ports.accepts(statsPort), Duration.ofSeconds(30), 100)) {
            if (!process.isAlive()) {
                throw new IOException("HAProxy exited (" + process.exitValue() + "): " + Files.readString(log, StandardCharsets.UTF_8));
            }
            throw new IOException("HAProxy does not listen on " + port + " within 30 s: " + Files.readString(log, StandardCharsets.UTF_8));
        }
    }

    public int port() {
        return port;
    }

    public int statsPort() {
        return statsPort;
    }

    public Path config() {
        return config;
    }

    /** Each server of the backend and its status as HAProxy's health checks see it (UP, DOWN, ...). */
    public Map<String, String> serverStatus(String backend) throws IOException {
        String csv;
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort + "/stats;csv")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
            csv = response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        String[] lines = csv.split("\n");
        List<String> columns = List.of(lines[0].replaceFirst("^# ", "").split(","));
        int name = columns.indexOf("pxname");
        int server = columns.indexOf("svname");
        int status = columns.indexOf("status");
        Map<String, String> servers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split(",", -1);
            if (fields.length > status && fields[name].equals(backend) && !fields[server].equals("BACKEND") && !fields[server].equals("FRONTEND")) {
                servers.put(fields[server], fields[status]);
            }
        }
        return servers;
    }

    /** Waits until HAProxy's health checks say {@code status} (UP or DOWN) for the server. */
    public void awaitStatus(String server, String status, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        Optional<String> current = Optional.empty();
        while (Instant.now().isBefore(deadline)) {
            current = Optional.ofNullable(serverStatus(BACKEND).get(server));
            if (current.isPresent() && current.get().startsWith(status)) {
                return;
            }
            Pause.sleep(200);
        }
        throw new IllegalStateException("HAProxy says " + server + " is " + current.orElse("unknown") + ", not " + status + ", after " + timeout);
    }

}
