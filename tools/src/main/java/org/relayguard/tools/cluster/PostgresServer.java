package org.relayguard.tools.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.relayguard.tools.process.Commands;
import org.relayguard.tools.process.ServerProcess;

/**
 * A real PostgreSQL server, the Debian package's binaries run on a data directory of its own
 * ({@code initdb}, {@code pg_ctl}), listening on 127.0.0.1 on a port of its own, with one database
 * and one password-protected role for the gateways. As root (CI), every tool runs as the
 * {@code postgres} system user, since PostgreSQL refuses to run as root.
 *
 * <p>The binaries: {@code $RELAYGUARD_PG_BIN}, else the newest {@code /usr/lib/postgresql/N/bin}.
 * Missing binaries fail with the command that installs them.</p>
 */
public final class PostgresServer extends ServerProcess {
    public static final String BIN_ENV = "RELAYGUARD_PG_BIN";
    public static final String INSTALL_HINT = "install them with: apt-get update && apt-get install -y postgresql haproxy"
        + " (.ci/run does it), or point " + BIN_ENV + " at a PostgreSQL bin/ directory";
    static final String SYSTEM_USER = "postgres";
    public static final String DATABASE = "relayguard";
    public static final String ROLE = "relayguard";

    private final Path bin;
    private final Path directory;
    private final int port;
    private final String password;

    private PostgresServer(Path bin, Path directory, int port, String password) {
        super("postgres");
        this.bin = bin;
        this.directory = directory;
        this.port = port;
        this.password = password;
    }

    /**
     * Creates the server in {@code directory} (its data in {@code data/}, its log {@code postgres.log})
     * unless it exists, and starts it.
     */
    public static PostgresServer start(Path directory, int port, String password) throws IOException {
        PostgresServer server = new PostgresServer(binaries(), directory.toAbsolutePath(), port, password);
        server.createIfAbsent();
        server.start();
        return server;
    }

    /** The directory of {@code initdb} and {@code pg_ctl}, or a failure that says how to install them. */
    public static Path binaries() {
        Optional<String> configured = Optional.ofNullable(System.getenv(BIN_ENV)).filter(value -> !value.isBlank());
        Stream<Path> candidates;
        if (configured.isPresent()) {
            candidates = Stream.of(Path.of(configured.get()));
        } else {
            candidates = versionDirectories().map(version -> version.resolve("bin"));
        }
        return Commands.find("pg_ctl", candidates)
            .map(Path::getParent)
            .filter(directory -> Files.isExecutable(directory.resolve("initdb")))
            .orElseThrow(() -> new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) not found in "
                + configured.orElse("/usr/lib/postgresql/*/bin") + ": " + INSTALL_HINT));
    }

    private static Stream<Path> versionDirectories() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Stream.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(path -> path.getFileName().toString().matches("\\d+"))
                .sorted(Comparator.comparingInt((Path path) -> Integer.parseInt(path.getFileName().toString())).reversed())
                .collect(java.util.stream.Collectors.toList())
                .stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return jdbcUrl(port);
    }

    /** The database's URL through another port (a proxy in front of this server). */
    public static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String password() {
        return password;
    }

    public Path log() {
        return directory.resolve("postgres.log");
    }

    /** {@code conf/james-database.properties} for a gateway of this database. */
    public String jamesDatabaseProperties() {
        return jamesDatabaseProperties(port);
    }

    /** {@link #jamesDatabaseProperties()} for a node that reaches the database through another port. */
    public String jamesDatabaseProperties(int port) {
        return String.join("\n",
            "# The database the gateways of this cluster share (docs/cluster.md).",
            "database.driverClassName=org.postgresql.Driver",
            "database.url=" + jdbcUrl(port),
            "database.username=" + ROLE,
            "database.password=" + password,
            "");
    }

    private Path data() {
        return directory.resolve("data");
    }

    private void createIfAbsent() throws IOException {
        if (Files.exists(data().resolve("PG_VERSION"))) {
            return;
        }
        Files.createDirectories(directory);
        ownedBySystemUser(directory);
        Path passwordFile = directory.resolve("initdb-password");
        Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
        ownedBySystemUser(passwordFile);
        try {
            // The role the gateways use is the superuser of this dedicated server; no other role exists.
            Commands.run(asSystemUser(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", ROLE,
                "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"), Map.of(), 120);
        } finally {
            Files.deleteIfExists(passwordFile);
        }
        start();
        try {
            Commands.run(asSystemUser(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port),
                "-U", ROLE, DATABASE), Map.of("PGPASSWORD", password), 60);
        } finally {
            pgCtlStop();
        }
    }

    /** Starts the server and waits until it accepts connections. */
    public synchronized void start() throws IOException {
        Commands.run(asSystemUser(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-l", log().toString(),
            "-w", "-t", "120", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + directory, "start"), Map.of(), 180);
        // A server started by a test or the cluster script must not outlive it.
        stopWithJvm();
    }

    /**
     * Stops the server as an operator does ({@code pg_ctl stop -m fast}): open connections are closed.
     * Fails with pg_ctl's output ({@link UncheckedIOException}) when it does not stop.
     */
    @Override
    public synchronized void stop() {
        try {
            pgCtlStop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private synchronized void pgCtlStop() throws IOException {
        if (isRunning()) {
            Commands.run(asSystemUser(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "fast", "-w", "-t", "120", "stop"),
                Map.of(), 180);
        }
    }

    @Override
    protected void stopAtJvmExit() {
        try {
            stop();
        } catch (UncheckedIOException e) {
            System.err.println("PostgreSQL did not stop: " + e.getCause().getMessage());
        }
    }

    @Override
    public boolean isRunning() {
        return Files.exists(data().resolve("postmaster.pid"));
    }

    private List<String> asSystemUser(String... command) {
        return Commands.as(SYSTEM_USER, List.of(command));
    }

    /** As root, PostgreSQL runs as {@code postgres}: its directory must be that user's. */
    private static void ownedBySystemUser(Path path) throws IOException {
        if (!Commands.isRoot()) {
            return;
        }
        UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal postgres = users.lookupPrincipalByName(SYSTEM_USER);
        Files.setOwner(path, postgres);
    }
}
