package org.relayguard.tools.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.relayguard.tools.process.Ports;
import org.relayguard.tools.process.ServerProcess;

/**
 * A James 3.8.1 gateway started as its own process, from the server root that the
 * {@code james-server} module lays out: James's jars from Maven Central and the Relay Guard server
 * in {@code lib/}, and the Relay Guard install bundle ({@code conf/}, {@code extensions-jars/},
 * {@code profiles/}) as shipped. By default the Relay Guard server that {@code run.sh} starts
 * (durable queues and DomainList); James's stock memory server on request ({@link Kind}).
 *
 * <p>Each instance works in its own copy of the server root, so that tests and the demo change
 * nothing that is shipped. The only changes applied are those an operator makes: the profile
 * file, the documented environment variables, the listeners' certificate ({@link TestPki#gateway()}
 * where smtpserver.xml reads it), and (demo and tests only) a hosts file that gives loopback
 * source addresses Microsoft 365 host names.</p>
 */
public final class JamesServer extends ServerProcess {
    public static final String SERVER_DIR_PROPERTY = "relayguard.james.server.dir";
    public static final String KIND_PROPERTY = "relayguard.james.kind";
    public static final String JVM_ARGS_PROPERTY = "relayguard.james.jvm.args";
    /**
     * Set (to true) by the integration tests' Maven configuration: their servers stop without
     * James's graceful unbind unless a test sets {@code RELAYGUARD_SMTP_GRACEFUL_SHUTDOWN} itself.
     * The demo, the load runs and the cluster script keep the shipped setting.
     */
    public static final String FAST_STOP_PROPERTY = "relayguard.test.fastStop";
    public static final String QUARANTINE = "var/mail/m365-relaydeny";
    public static final String ERROR_REPOSITORY = "var/mail/error";
    /** Where smtpserver.xml reads the listeners' key and certificate chain by default (PEM). */
    public static final String TLS_KEY = "conf/tls/privkey.pem";
    public static final String TLS_CERTIFICATES = "conf/tls/fullchain.pem";

    /** Loopback sources whose reverse lookup the hosts file answers (demo and tests only). */
    public static final String M365_HOST_SOURCE = "127.0.0.2";
    public static final String M365_HOST_NAME = "mail-x.outbound.protection.outlook.com";
    public static final String INTERNET_HOST_SOURCE = "127.0.0.3";
    public static final String INTERNET_HOST_NAME = "mail.example.org";
    /** An address in Microsoft's published Exchange Online ranges, with no PTR name. */
    public static final String M365_IP_WITHOUT_PTR = "40.107.1.2";

    public enum Profile {
        HARDENED, PROOFPOINT
    }

    /** Which James server runs the configuration. */
    public enum Kind {
        /** The Relay Guard server ({@code run.sh}'s): James's memory server with durable queues and DomainList. */
        RELAY_GUARD("org.relayguard.server.RelayGuardServerMain"),
        /** James's stock memory server: the install bundle on a James it was not built with; keeps nothing queued. */
        STOCK_MEMORY("org.apache.james.MemoryJamesServerMain");

        public final String mainClass;

        Kind(String mainClass) {
            this.mainClass = mainClass;
        }
    }

    public static final class Builder {
        private final Path serverDir;
        private Path root;
        private Profile profile = Profile.HARDENED;
        private Kind kind = defaultKind();
        private final Map<String, String> environment = new HashMap<>();
        private boolean hostsFile = true;
        private boolean gatewayCertificate = true;
        private final List<String> jvmArguments = new ArrayList<>();
        private Path logFile;
        private List<String> launcher;
        private Path resolvConf;

        private Builder(Path serverDir) {
            this.serverDir = serverDir;
        }

        /** Where this instance's server root lives; reusing one keeps its quarantine (restart). */
        public Builder root(Path root) {
            this.root = root;
            return this;
        }

        public Builder profile(Profile profile) {
            this.profile = profile;
            return this;
        }

        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public Builder enforce(boolean enforce) {
            return env("RELAYGUARD_ENFORCE", String.valueOf(enforce));
        }

        public Builder kind(Kind kind) {
            this.kind = kind;
            return this;
        }

        /**
         * Each RemoteDelivery route to its own next hop: mail for our domains to the M365 smart host,
         * everything else to the internet gateway. Two next hops, so that misrouting shows. Next
         * hops per tenant set only the internet one: each tenant's smart host is in the tenants
         * description, which the caller writes. The smart host is reached by name ({@value TestPki#M365_SMARTHOST_NAME}), as its certificate
         * is checked against it, and James trusts the private CA that issued it
         * ({@code RELAYGUARD_SMARTHOST_CA}).
         */
        public Builder nextHops(NextHops nextHops) {
            if (nextHops.perTenant()) {
                env("RELAYGUARD_OUTBOUND_GATEWAY", "127.0.0.1:" + nextHops.internetPort());
                return env("RELAYGUARD_SMARTHOST_CA", TestPki.smartHostCa().pemFile().toString());
            }
            return nextHops(nextHops.m365Port(), nextHops.internetPort());
        }

        /**
         * As {@link #nextHops(NextHops)}, for next hops that are other servers (e.g. Postfix) on these
         * loopback ports: the smart host must offer STARTTLS with {@link TestPki#m365SmartHost()}.
         */
        public Builder nextHops(int m365Port, int internetPort) {
            env("RELAYGUARD_OUTBOUND_GATEWAY", "127.0.0.1:" + internetPort);
            env("RELAYGUARD_SMARTHOST_CA", TestPki.smartHostCa().pemFile().toString());
            return env("RELAYGUARD_M365_SMARTHOST", TestPki.M365_SMARTHOST_NAME + ":" + m365Port);
        }

        /**
         * Whether a new server root gets the tests' listener certificate ({@link TestPki#gateway()})
         * where smtpserver.xml reads it by default; without it, James finds no key and refuses to start.
         */
        public Builder gatewayCertificate(boolean enabled) {
            this.gatewayCertificate = enabled;
            return this;
        }

        /** One more option for James's JVM. */
        public Builder jvmArgument(String argument) {
            jvmArguments.add(argument);
            return this;
        }

        /**
         * Webadmin authentication, on as shipped ({@code jwt.enabled}): the client of {@link #webAdmin()}
         * then sends a token of the server root's key pair. Off only where a caller says so (the demo).
         */
        public Builder webAdminAuthentication(boolean enabled) {
            return env("RELAYGUARD_WEBADMIN_JWT", String.valueOf(enabled));
        }

        public Builder demoHostNames(boolean enabled) {
            this.hostsFile = enabled;
            return this;
        }

        /**
         * Appends James's output to this one file, as an operator's server keeps one log, instead
         * of a new {@code james-N.log} per start.
         */
        public Builder log(Path logFile) {
            this.logFile = logFile;
            return this;
        }

        /**
         * Starts James through the distribution's {@code bin/relayguard}, as an operator or a service
         * manager does, behind {@code commandPrefix} (empty, or e.g. {@code setpriv …} to run it as
         * another user). The JVM options go through {@code JAVA_OPTS}, the server root through
         * {@code RELAYGUARD_ROOT}; James's console is off ({@code RELAYGUARD_LOG_CONSOLE}, unless set)
         * and its log is the rotated {@code logs/james.log} of the server root.
         */
        public Builder launcher(List<String> commandPrefix) {
            this.launcher = List.copyOf(commandPrefix);
            return this;
        }

        /**
         * Runs James's JVM with this file as its {@code /etc/resolv.conf}: in a mount namespace of its
         * own ({@code unshare --mount}, root only), where the file is bind-mounted over the system's,
         * so that the JDK's resolver (glibc) and James's DNSService (dnsjava, which discovers its
         * servers from the same file) ask the name servers it names, and nothing else on the machine
         * does. The hosts file ({@link #demoHostNames}) is then the namespace's {@code /etc/hosts}
         * instead of the JDK's {@code jdk.net.hosts.file} (which would answer every JDK lookup): glibc
         * reads it first and asks the name servers for the other names.
         */
        public Builder resolvConf(Path file) {
            this.resolvConf = file;
            return this;
        }

        /** Lays out the server root without starting James, so that a caller can edit it first. */
        public JamesServer prepare() throws IOException {
            Path actualRoot = root != null ? root : ScratchDirectories.create("relayguard-james-");
            ServerRoot.layOut(serverDir, actualRoot, profile, gatewayCertificate);
            Map<String, String> env = new HashMap<>(environment);
            env.putIfAbsent("RELAYGUARD_SMTP_BIND", "127.0.0.1:" + Ports.free());
            env.putIfAbsent("RELAYGUARD_SMTP_PROXY_BIND", "127.0.0.1:" + Ports.free());
            env.putIfAbsent("RELAYGUARD_WEBADMIN_PORT", String.valueOf(Ports.free()));
            if (launcher != null) {
                env.putIfAbsent("RELAYGUARD_LOG_CONSOLE", "OFF");
            }
            if (Boolean.getBoolean(FAST_STOP_PROPERTY)) {
                // The test suite stops James about ninety times: James's graceful unbind waits out
                // Netty's 2 s quiet period on each listener, some six minutes of CI for nothing a
                // test checks. The tests of the shipped stop (RestartTest, WaitingMailTest) set it back.
                env.putIfAbsent("RELAYGUARD_SMTP_GRACEFUL_SHUTDOWN", "false");
            }
            if (resolvConf != null && launcher != null) {
                throw new IllegalStateException("resolvConf: without the launcher");
            }
            JamesServer server = new JamesServer(serverDir, kind, actualRoot, env, hostsFile, logFile, jvmArguments, launcher, resolvConf);
            if (launcher == null) {
                // Started without bin/relayguard, which makes the pair on a first start: the tests make it.
                server.useWebAdminToken(webAdminToken(actualRoot));
            }
            return server;
        }

        private static String webAdminToken(Path root) throws IOException {
            try {
                WebAdminJwt keys = Files.exists(root.resolve(WebAdminJwt.PRIVATE_KEY)) ? WebAdminJwt.of(root) : WebAdminJwt.install(root);
                return keys.token(WebAdminJwt.ADMIN, true);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        public JamesServer start() throws IOException {
            JamesServer server = prepare();
            server.start();
            return server;
        }
    }

    public static Builder builder() {
        return builder(defaultServerDir());
    }

    /**
     * The Relay Guard server, unless {@code -Drelayguard.james.kind=STOCK_MEMORY} runs the tests on
     * James's stock memory server (where the durability tests fail, as they should).
     */
    public static Kind defaultKind() {
        return Kind.valueOf(System.getProperty(KIND_PROPERTY, Kind.RELAY_GUARD.name()));
    }

    public static Builder builder(Path serverDir) {
        return new Builder(serverDir);
    }

    public static Path defaultServerDir() {
        String dir = System.getProperty(SERVER_DIR_PROPERTY);
        if (dir == null) {
            throw new IllegalStateException("System property " + SERVER_DIR_PROPERTY + " must point to james-server/target/james-server");
        }
        return Path.of(dir).toAbsolutePath().normalize();
    }

    private final Path serverDir;
    private final Kind kind;
    private final Path root;
    private final Map<String, String> environment;
    private final boolean hostsFile;
    private final Path logFile;
    private final List<String> jvmArguments;
    /** The command before {@code bin/relayguard}, or null to start the JVM directly. */
    private final List<String> launcher;
    /** The resolv.conf James's JVM sees, or null for the system's. */
    private final Path resolvConf;
    private Path log;
    /** Where this start's output begins in {@link #log}: an appended log holds earlier starts too. */
    private long logStart;
    /** Where this start's output begins in the rotated {@code logs/james.log} (launcher only). */
    private long rotatedLogStart;
    private int starts;
    private volatile boolean jvmExiting;
    private Optional<String> webAdminToken = Optional.empty();

    private JamesServer(Path serverDir, Kind kind, Path root, Map<String, String> environment, boolean hostsFile, Path logFile,
                        List<String> jvmArguments, List<String> launcher, Path resolvConf) {
        super("james");
        this.serverDir = serverDir;
        this.kind = kind;
        this.root = root;
        this.environment = environment;
        this.hostsFile = hostsFile;
        this.logFile = logFile;
        this.jvmArguments = List.copyOf(jvmArguments);
        this.launcher = launcher;
        this.resolvConf = resolvConf;
    }

    public Path root() {
        return root;
    }

    public Kind kind() {
        return kind;
    }

    public Path conf(String file) {
        return root.resolve("conf").resolve(file);
    }

    public Map<String, String> environment() {
        return environment;
    }

    public void setEnv(String name, String value) {
        environment.put(name, value);
    }

    public int smtpPort() {
        return portOf(environment.get("RELAYGUARD_SMTP_BIND"));
    }

    public int proxySmtpPort() {
        return portOf(environment.get("RELAYGUARD_SMTP_PROXY_BIND"));
    }

    public int webAdminPort() {
        return Integer.parseInt(environment.get("RELAYGUARD_WEBADMIN_PORT"));
    }

    public WebAdmin webAdmin() {
        return new WebAdmin("http://127.0.0.1:" + webAdminPort(), webAdminToken);
    }

    /** Authenticate webadmin calls with this JWT (see {@link WebAdminJwt}). */
    public void useWebAdminToken(String token) {
        this.webAdminToken = Optional.of(token);
    }

    /** The decision log James writes (conf/logback.xml: logs/relayguard-decisions.log under the server root). */
    public Path decisionLog() {
        return root.resolve("logs/relayguard-decisions.log");
    }

    public Path log() {
        return log;
    }

    /** James's rotated log, {@code logs/james.log} under the server root (conf/logback.xml). */
    public Path rotatedLog() {
        return root.resolve("logs/james.log");
    }

    /** James's output since the last start: its console, and through a launcher its rotated log too. */
    public String logText() {
        String console = LogText.from(log, logStart);
        return launcher == null ? console : console + LogText.from(rotatedLog(), rotatedLogStart);
    }

    /** Starts James and waits until it says it started; fails with James's own log otherwise. */
    public void start() throws IOException {
        StartResult result = launch(Duration.ofSeconds(120));
        if (!result.started) {
            throw new IllegalStateException("James did not start (" + result.reason + "). Log " + log + ":\n" + LogText.tail(logText(), 60));
        }
        if (launcher != null && webAdminToken.isEmpty()) {
            webAdminToken = Optional.of(tokenFromDistribution());
        }
    }

    /** A token as an operator gets one: the distribution's {@code bin/relayguard-token}, as the server's user. */
    public String tokenFromDistribution() throws IOException {
        List<String> command = new ArrayList<>(launcher != null ? launcher : List.of());
        command.add(serverDir.resolve("bin/relayguard-token").toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("RELAYGUARD_ROOT", root.toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (process.waitFor() != 0 || output.isEmpty()) {
                throw new IllegalStateException("bin/relayguard-token failed (exit " + process.exitValue() + "): " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return output;
    }

    /** Starts James expecting it to refuse to start; returns its log. */
    public String startExpectingFailure() throws IOException {
        StartResult result = launch(Duration.ofSeconds(120));
        if (result.started) {
            stop();
            throw new IllegalStateException("James started although it was expected to refuse to");
        }
        return logText();
    }

    public void restart() throws IOException {
        stop();
        start();
    }

    private StartResult launch(Duration timeout) throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("already running");
        }
        starts++;
        log = logFile != null ? logFile : root.resolve("james-" + starts + ".log");
        logStart = logFile != null ? LogText.end(log) : 0;
        rotatedLogStart = LogText.end(rotatedLog());
        List<String> jvmOptions = new ArrayList<>(List.of("-Xmx768m"));
        if (hostsFile && resolvConf == null) {
            jvmOptions.add("-Djdk.net.hosts.file=" + HostsFile.write(root));
        }
        jvmOptions.addAll(jvmArguments);
        if (kind == Kind.STOCK_MEMORY && environment.containsKey("RELAYGUARD_SMARTHOST_CA")) {
            jvmOptions.addAll(StockTrustStore.write(root, Path.of(environment.get("RELAYGUARD_SMARTHOST_CA"))));
        }
        // Extra JVM options for measurements (a JFR recording, another heap): -Drelayguard.james.jvm.args="-XX:…"
        String extra = System.getProperty(JVM_ARGS_PROPERTY, "").trim();
        if (!extra.isEmpty()) {
            jvmOptions.addAll(List.of(extra.split("\\s+")));
        }
        ProcessBuilder builder;
        if (launcher != null) {
            if (kind != Kind.RELAY_GUARD) {
                throw new IllegalStateException("bin/relayguard starts the Relay Guard server only");
            }
            builder = JamesCommand.viaDistribution(serverDir, root, launcher, jvmOptions, environment);
        } else {
            Path hosts = resolvConf != null && hostsFile ? HostsFile.write(root) : Path.of("/etc/hosts");
            builder = JamesCommand.direct(serverDir, kind, root, resolvConf, hosts, jvmOptions, environment);
        }
        // James runs as a child process, which the JVM does not end with itself: it is stopped when
        // this JVM ends (Ctrl-C on the demo, an interrupted test run), so that no James outlives its caller.
        Process started = startChild(builder, log, logFile != null);
        if (jvmExiting) {
            // Ctrl-C came while James was being launched: the shutdown hook has already run.
            started.destroyForcibly();
            return new StartResult(false, "interrupted by JVM shutdown");
        }
        if (awaitReady(() -> logText().contains("JAMES server started"), timeout, 200)) {
            return new StartResult(true, "started");
        }
        if (!started.isAlive()) {
            return new StartResult(false, "exited with code " + started.exitValue());
        }
        started.destroyForcibly();
        return new StartResult(false, "no start within " + timeout);
    }

    @Override
    protected void stopAtJvmExit() {
        this.jvmExiting = true;
        stop();
    }

    private static final class StartResult {
        final boolean started;
        final String reason;

        StartResult(boolean started, String reason) {
            this.started = started;
            this.reason = reason;
        }
    }

    private static int portOf(String bind) {
        return Integer.parseInt(bind.substring(bind.lastIndexOf(':') + 1));
    }
}
