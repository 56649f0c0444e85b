package org.relayguard.tools.load;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.relayguard.tools.harness.FileTrees;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.process.Commands;
import org.relayguard.tools.process.Ports;
import org.relayguard.tools.process.ServerProcess;

/**
 * The relay an operator would pick instead of the gateway: a Postfix (the Debian package's) with
 * its own configuration directory, queue and log under one directory, listening on loopback only,
 * with one PCRE {@code header_checks} rule on X-OriginatorOrg (Postfix cannot quarantine a copy,
 * so the rule logs a warning and the mail is relayed, as the gateway does in audit mode). Mail for
 * {@code contoso.com} goes to {@link NextHops#m365()}, everything else to {@link NextHops#internet()},
 * with TLS where the gateway has it: verified ({@code secure}, the smart host CA, the certificate's
 * name) to the smart host, opportunistic ({@code may}) to the internet next hop.
 * Everything else is Postfix's default: each queue file is written and fsynced before the
 * {@code 250}. The system's own Postfix (if any) is neither needed nor touched. Needs root, as
 * {@code postfix start} does.
 *
 * <p>Postfix refuses a UNIX socket path over 108 bytes, and its sockets live in its queue: by default
 * it gets a fresh directory of its own under /tmp, whatever the path of the checkout, removed on
 * {@link #close()}.</p>
 */
public final class PostfixRelay extends ServerProcess {
    static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    static final String INSTALL_HINT = "install it: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix postfix-pcre "
        + "(debconf: No configuration); ./perf.sh peer does";
    /** sun_path holds 108 bytes, the terminating NUL included. */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    /** Postfix prints why it stops to a terminal only (otherwise to syslog): script(1) gives it one. */
    static final Path SCRIPT = Path.of("/usr/bin/script");
    static final String HEADER_CHECK = "/^X-OriginatorOrg:(?!\\s*(contoso\\.com|contoso\\.onmicrosoft\\.com)\\s*$)/ WARN foreign tenant";

    private final Path directory;
    private final Path configDirectory;
    private final int port;
    private final boolean removeOnClose;

    private PostfixRelay(Path directory, int port, boolean removeOnClose) {
        super("postfix");
        this.directory = directory;
        this.configDirectory = directory.resolve("etc");
        this.port = port;
        this.removeOnClose = removeOnClose;
    }

    /**
     * Starts Postfix in a fresh directory of its own under /tmp (short enough for its sockets
     * wherever the checkout is), which {@link #close()} removes with Postfix's queue and log.
     */
    public static PostfixRelay start(int port, NextHops hops) throws IOException {
        checkInstalled();
        Path root = Files.createTempDirectory(Path.of("/tmp"), "relayguard-postfix-");
        try {
            // Postfix's daemons run as the postfix user and must reach the queue below.
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            PostfixRelay postfix = new PostfixRelay(root, port, true);
            postfix.configure(hops);
            postfix.launch();
            return postfix;
        } catch (IOException | RuntimeException e) {
            stop(root);
            FileTrees.delete(root);
            throw e;
        }
    }

    /**
     * Writes the configuration into {@code directory} (what was there is deleted) and starts
     * Postfix; the directory is kept after {@link #close()}, so that its log can be read.
     */
    public static PostfixRelay start(Path directory, int port, NextHops hops) throws IOException {
        checkInstalled();
        Path root = directory.toAbsolutePath().normalize();
        // A Postfix left running there by an interrupted run would keep the port and the queue.
        stop(root);
        FileTrees.delete(root);
        PostfixRelay postfix = new PostfixRelay(root, port, false);
        postfix.configure(hops);
        postfix.launch();
        return postfix;
    }

    private static void checkInstalled() {
        if (!Files.isExecutable(POSTFIX)) {
            throw new IllegalStateException(POSTFIX + " not found: " + INSTALL_HINT);
        }
    }

    private static void stop(Path root) {
        new PostfixRelay(root, 0, false).stop();
    }

    /** The Postfix version, as {@code postconf -d mail_version} gives it. */
    public static String version() {
        try {
            return run(List.of("/usr/sbin/postconf", "-d", "-h", "mail_version"), Duration.ofSeconds(30)).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    public int port() {
        return port;
    }

    /**
     * The CPU time Postfix has used so far: its master process, the processes it has reaped
     * (smtpd, cleanup, smtp, … end after a number of uses) and those running now. Linux only.
     */
    public Duration cpuTime() {
        try {
            long master = Long.parseLong(Files.readString(directory.resolve("queue/pid/master.pid"), StandardCharsets.US_ASCII).trim());
            long ticks = ticks(master, true);
            try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
                for (Path process : (Iterable<Path>) processes.filter(path -> path.getFileName().toString().matches("[0-9]+"))::iterator) {
                    String[] stat = stat(process.resolve("stat"));
                    if (stat != null && Long.parseLong(stat[1]) == master) {
                        ticks += ticks(Long.parseLong(process.getFileName().toString()), true);
                    }
                }
            }
            return Duration.ofMillis(ticks * 10);
        } catch (IOException | RuntimeException e) {
            return Duration.ZERO;
        }
    }

    /** User and system time of a process in clock ticks (1/100 s), with its reaped children's if asked. */
    private static long ticks(long pid, boolean withReapedChildren) throws IOException {
        String[] stat = stat(Path.of("/proc", String.valueOf(pid), "stat"));
        if (stat == null) {
            return 0;
        }
        // Fields after the command name: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
        long ticks = Long.parseLong(stat[11]) + Long.parseLong(stat[12]);
        return withReapedChildren ? ticks + Long.parseLong(stat[13]) + Long.parseLong(stat[14]) : ticks;
    }

    /** The fields of /proc/PID/stat after the command name (which may hold spaces); null when the process is gone. */
    private static String[] stat(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            return text.substring(text.lastIndexOf(')') + 2).split(" ");
        } catch (IOException e) {
            return null;
        }
    }

    public Path directory() {
        return directory;
    }

    /** The Microsoft 365 smart host as Postfix's transport and TLS policy tables name it. */
    static String m365NextHop(NextHops hops) {
        return "[127.0.0.1]:" + hops.m365Port();
    }

    private void configure(NextHops hops) throws IOException {
        Path queue = directory.resolve("queue");
        Path data = directory.resolve("data");
        Files.createDirectories(configDirectory);
        Files.createDirectories(queue);
        Files.createDirectories(data);
        UserPrincipal postfixUser = data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
        Files.setOwner(data, postfixUser);
        Files.writeString(configDirectory.resolve("header_checks"), HEADER_CHECK + "\n", StandardCharsets.US_ASCII);
        Files.writeString(configDirectory.resolve("transport"), "contoso.com smtp:" + m365NextHop(hops) + "\n", StandardCharsets.US_ASCII);
        // TLS where the gateway has it: verified to the Microsoft 365 smart host (its certificate's
        // name, by the smart host CA, as James's verifyServerIdentity and RELAYGUARD_SMARTHOST_CA),
        // opportunistic to the internet (Postfix's "may", as James's startTLS with ssl.trust=*).
        Files.writeString(configDirectory.resolve("smarthost-ca.pem"), TestPki.pem(List.of(TestPki.smartHostCa().certificate)), StandardCharsets.US_ASCII);
        Files.writeString(configDirectory.resolve("tls_policy"), m365NextHop(hops) + " secure match=" + TestPki.M365_SMARTHOST_NAME + "\n",
            StandardCharsets.US_ASCII);
        Files.writeString(configDirectory.resolve("main.cf"), String.join("\n",
            "# Written by Relay Guard's peer comparison (./perf.sh peer, docs/postfix-comparison.md).",
            "compatibility_level = 3.6",
            "queue_directory = " + queue,
            "data_directory = " + data,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "shlib_directory = /usr/lib/postfix",
            "daemon_directory = /usr/lib/postfix/sbin",
            "meta_directory = /etc/postfix",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "myhostname = peer.relayguard.test",
            "mydestination =",
            "mynetworks = 127.0.0.0/8",
            "smtpd_relay_restrictions = permit_mynetworks, reject",
            "relayhost = [127.0.0.1]:" + hops.internetPort(),
            "transport_maps = texthash:" + configDirectory.resolve("transport"),
            "header_checks = pcre:" + configDirectory.resolve("header_checks"),
            "smtp_tls_security_level = may",
            "smtp_tls_policy_maps = texthash:" + configDirectory.resolve("tls_policy"),
            "smtp_tls_CAfile = " + configDirectory.resolve("smarthost-ca.pem"),
            // As Debian's main.cf ships it: TLS sessions are resumed across connections. The
            // connection cache is Postfix's default (smtp_connection_cache_on_demand = yes,
            // smtp_tls_connection_reuse = no: a TLS connection is not reused).
            "smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache",
            "smtp_tls_loglevel = 1",
            // The next hops are loopback addresses: no DNS.
            "smtp_dns_support_level = disabled",
            "maillog_file = " + directory.resolve("maillog"),
            "maillog_file_prefixes = " + directory,
            ""), StandardCharsets.US_ASCII);
        List<String> master = new ArrayList<>(List.of(
            "127.0.0.1:" + port + " inet n - n - - smtpd",
            "pickup    unix  n       -       n       60      1       pickup",
            "cleanup   unix  n       -       n       -       0       cleanup",
            "qmgr      unix  n       -       n       300     1       qmgr",
            "rewrite   unix  -       -       n       -       -       trivial-rewrite",
            "bounce    unix  -       -       n       -       0       bounce",
            "defer     unix  -       -       n       -       0       bounce",
            "trace     unix  -       -       n       -       0       bounce",
            "verify    unix  -       -       n       -       1       verify",
            "flush     unix  n       -       n       1000?   0       flush",
            "proxymap  unix  -       -       n       -       -       proxymap",
            "smtp      unix  -       -       n       -       -       smtp",
            "relay     unix  -       -       n       -       -       smtp",
            "showq     unix  n       -       n       -       -       showq",
            "error     unix  -       -       n       -       -       error",
            "retry     unix  -       -       n       -       -       error",
            "discard   unix  -       -       n       -       -       discard",
            "anvil     unix  -       -       n       -       1       anvil",
            "scache    unix  -       -       n       -       1       scache",
            "tlsmgr    unix  -       -       n       1000?   1       tlsmgr",
            "postlog   unix-dgram n  -       n       -       1       postlogd",
            ""));
        checkSocketPaths(queue, master);
        Files.writeString(configDirectory.resolve("master.cf"), String.join("\n", master), StandardCharsets.US_ASCII);
    }

    /**
     * Postfix's UNIX sockets are QUEUE/public/NAME and QUEUE/private/NAME, and a path over 108 bytes
     * stops {@code postfix start} with a message that only reaches syslog: say so before.
     */
    private static void checkSocketPaths(Path queue, List<String> master) {
        for (String service : master) {
            String[] fields = service.split("\\s+");
            if (fields.length > 1 && fields[1].startsWith("unix")) {
                Path socket = queue.resolve("private").resolve(fields[0]);
                int bytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
                if (bytes > MAX_SOCKET_PATH_BYTES) {
                    throw new IllegalStateException("Postfix's socket " + socket + " would be " + bytes + " bytes long, "
                        + "over the " + (MAX_SOCKET_PATH_BYTES + 1) + " (with its NUL) a UNIX socket path may have: "
                        + "give Postfix a shorter directory");
                }
            }
        }
    }

    private void launch() throws IOException {
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "start"), Duration.ofMinutes(1));
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + checkOutput() + "\n" + maillogTail(), e);
        }
        stopWithJvm();
        if (!awaitReady(() -> Ports.accepts(port), Duration.ofSeconds(60), 100)) {
            throw new IllegalStateException("Postfix does not listen on " + port + " within 60 s\n" + maillogTail());
        }
    }

    /**
     * What {@code postfix check} says about the configuration: Postfix's own reason when
     * {@code postfix start} fails. Postfix writes it to a terminal only (otherwise to syslog, which
     * a test machine may not run), so the check runs in one that script(1) provides.
     */
    private String checkOutput() {
        if (!Files.isExecutable(SCRIPT)) {
            return "postfix check not run: " + SCRIPT + " (util-linux) is missing";
        }
        String check = POSTFIX + " -c '" + configDirectory.toString().replace("'", "'\\''") + "' check";
        try {
            Process process = new ProcessBuilder(SCRIPT.toString(), "-q", "-e", "-c", check, "/dev/null")
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return check + ": no answer within 60 s";
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "").trim();
            return check + (process.exitValue() == 0 ? " finds nothing wrong" : " says:\n  " + output.replace("\n", "\n  "));
        } catch (IOException e) {
            return check + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return check + ": interrupted";
        }
    }

    private String maillogTail() {
        try {
            List<String> lines = Files.readAllLines(directory.resolve("maillog"), StandardCharsets.UTF_8);
            return "Postfix's log (" + directory.resolve("maillog") + "):\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "no Postfix log at " + directory.resolve("maillog");
        }
    }

    /** Stops Postfix ({@code postfix stop}) and waits until its master process has gone. */
    @Override
    public synchronized void stop() {
        if (!Files.exists(configDirectory.resolve("main.cf"))) {
            return;
        }
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "stop"), Duration.ofMinutes(1));
            awaitReady(() -> !Files.exists(directory.resolve("queue/pid/master.pid")) || !isRunning(), Duration.ofSeconds(30), 100);
        } catch (IOException | RuntimeException e) {
            // already stopped
        }
    }

    /** Whether {@code postfix status} finds Postfix running. */
    @Override
    public boolean isRunning() {
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "status"), Duration.ofSeconds(30));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Stops Postfix and, when its directory is its own under /tmp, removes it. */
    @Override
    public void close() {
        super.close();
        remove();
    }

    @Override
    protected synchronized void stopAtJvmExit() {
        stop();
        remove();
    }

    private void remove() {
        if (removeOnClose) {
            try {
                FileTrees.delete(directory);
            } catch (IOException | RuntimeException e) {
                System.err.println("Could not remove Postfix's directory " + directory + ": " + e);
            }
        }
    }

    private static String run(List<String> command, Duration timeout) throws IOException {
        return Commands.run(command, Map.of(), timeout.toSeconds());
    }
}
