package org.relayguard.tools.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.relayguard.tools.NextHops;
import org.relayguard.tools.StopOnExit;

/**
 * The relay an operator would pick instead of the gateway: a Postfix (the Debian package's) with
 * its own configuration directory, queue and log under one directory, listening on loopback only,
 * with one PCRE {@code header_checks} rule on X-OriginatorOrg (Postfix cannot quarantine a copy,
 * so the rule logs a warning and the mail is relayed, as the gateway does in audit mode). Mail for
 * {@code contoso.com} goes to {@link NextHops#m365()}, everything else to {@link NextHops#internet()}.
 * Everything else is Postfix's default: each queue file is written and fsynced before the
 * {@code 250}. The system's own Postfix (if any) is neither needed nor touched. Needs root, as
 * {@code postfix start} does.
 */
public final class PostfixRelay implements AutoCloseable {
    static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    static final String INSTALL_HINT = "install it: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix postfix-pcre "
        + "(debconf: No configuration); ./perf.sh peer does";
    static final String HEADER_CHECK = "/^X-OriginatorOrg:(?!\\s*(contoso\\.com|contoso\\.onmicrosoft\\.com)\\s*$)/ WARN foreign tenant";

    private final Path directory;
    private final Path configDirectory;
    private final int port;
    private final StopOnExit stopOnExit = new StopOnExit("stop-postfix", this::stop);

    private PostfixRelay(Path directory, int port) {
        this.directory = directory;
        this.configDirectory = directory.resolve("etc");
        this.port = port;
    }

    /** Writes the configuration into a fresh {@code directory} (what was there is deleted) and starts Postfix. */
    public static PostfixRelay start(Path directory, int port, NextHops hops) throws IOException {
        if (!Files.isExecutable(POSTFIX)) {
            throw new IllegalStateException(POSTFIX + " not found: " + INSTALL_HINT);
        }
        Path root = directory.toAbsolutePath().normalize();
        // A Postfix left running there by an interrupted run would keep the port and the queue.
        new PostfixRelay(root, port).stop();
        delete(root);
        PostfixRelay postfix = new PostfixRelay(root, port);
        postfix.configure(hops);
        postfix.launch();
        return postfix;
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

    private void configure(NextHops hops) throws IOException {
        Path queue = directory.resolve("queue");
        Path data = directory.resolve("data");
        Files.createDirectories(configDirectory);
        Files.createDirectories(queue);
        Files.createDirectories(data);
        UserPrincipal postfixUser = data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
        Files.setOwner(data, postfixUser);
        Files.writeString(configDirectory.resolve("header_checks"), HEADER_CHECK + "\n", StandardCharsets.US_ASCII);
        Files.writeString(configDirectory.resolve("transport"), "contoso.com smtp:[127.0.0.1]:" + hops.m365Port() + "\n", StandardCharsets.US_ASCII);
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
            "postlog   unix-dgram n  -       n       -       1       postlogd",
            ""));
        Files.writeString(configDirectory.resolve("master.cf"), String.join("\n", master), StandardCharsets.US_ASCII);
    }

    private void launch() throws IOException {
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "start"), Duration.ofMinutes(1));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + maillogTail(), e);
        }
        stopOnExit.arm();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("Postfix does not listen on " + port + " within 60 s\n" + maillogTail(), e);
                }
                sleep(100);
            }
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
    private synchronized void stop() {
        if (!Files.exists(configDirectory.resolve("main.cf"))) {
            return;
        }
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "stop"), Duration.ofMinutes(1));
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (Files.exists(directory.resolve("queue/pid/master.pid")) && isRunning() && Instant.now().isBefore(deadline)) {
                sleep(100);
            }
        } catch (IOException | RuntimeException e) {
            // already stopped
        }
    }

    private boolean isRunning() {
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "status"), Duration.ofSeconds(30));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        stop();
        stopOnExit.cancel();
    }

    private static String run(List<String> command, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": no answer within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + ": interrupted", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue() + ": " + output.trim());
        }
        return output;
    }

    private static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
