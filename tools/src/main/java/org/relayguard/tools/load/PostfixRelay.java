package org.relayguard.tools.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.relayguard.tools.harness.FileTrees;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.postfix.PostfixInstance;

/**
 * The relay an operator would pick instead of the gateway: a {@link PostfixInstance} with one PCRE
 * {@code header_checks} rule on X-OriginatorOrg (Postfix cannot quarantine a copy, so the rule logs
 * a warning and the mail is relayed, as the gateway does in audit mode). Mail for
 * {@code contoso.com} goes to {@link NextHops#m365()}, everything else to {@link NextHops#internet()},
 * with TLS where the gateway has it: verified ({@code secure}, the smart host CA, the certificate's
 * name) to the smart host, opportunistic ({@code may}) to the internet next hop.
 * Everything else is Postfix's default: each queue file is written and fsynced before the
 * {@code 250}.
 *
 * <p>With a resolv.conf ({@link #start(Optional, int, NextHops, Tuning, Optional)}), the internet
 * route has no relay host: Postfix resolves each domain's MX records, as Postfix does by default,
 * through the name server that file names. Its master runs in a mount namespace of its own where
 * the file is bind-mounted over {@code /etc/resolv.conf} (glibc's resolver, which Postfix's
 * daemons use, reads that path; they run without chroot), so nothing else on the machine asks
 * that server. The MX hosts ({@link NextHops#startWithMxHosts}) are loopback addresses other than
 * {@code inet_interfaces}' 127.0.0.1, so Postfix does not take them for itself ("mail for … loops
 * back to myself").</p>
 */
public final class PostfixRelay extends PostfixInstance {
    static final String HEADER_CHECK = "/^X-OriginatorOrg:(?!\\s*(contoso\\.com|contoso\\.onmicrosoft\\.com)\\s*$)/ WARN foreign tenant";

    /** How Postfix's SMTP client keeps its connections to the next hops. */
    public enum Tuning {
        /**
         * As an expert tunes a relay to a few next hops: a TLS connection is reused for later mails
         * ({@code smtp_tls_connection_reuse = yes}, which needs the {@code tlsproxy} service).
         */
        TUNED("TLS connections reused (smtp_tls_connection_reuse, tlsproxy)"),
        /** As Debian ships it: the connection cache keeps no TLS connection, one handshake per mail. */
        AS_SHIPPED("TLS connections not reused (as Debian ships it)");

        public final String description;

        Tuning(String description) {
            this.description = description;
        }

        /** {@code tuned} or {@code as-shipped}. */
        public static Tuning parse(String value) {
            switch (value) {
                case "tuned":
                    return TUNED;
                case "as-shipped":
                    return AS_SHIPPED;
                default:
                    throw new IllegalArgumentException("--postfix: tuned or as-shipped, not '" + value + "'");
            }
        }
    }

    static final String TLSPROXY_SERVICE = "tlsproxy  unix  -       -       n       -       0       tlsproxy";

    private final NextHops hops;
    private final Tuning tuning;
    /** With one, the internet route resolves MX records through the name server it names; without, it goes to {@link NextHops#internet()}. */
    private final Optional<Path> resolvConf;

    private PostfixRelay(Path directory, int port, boolean removeOnClose, NextHops hops, Tuning tuning, Optional<Path> resolvConf) {
        super("postfix", directory, port, removeOnClose);
        this.hops = hops;
        this.tuning = tuning;
        this.resolvConf = resolvConf;
    }

    /**
     * Starts Postfix in a fresh directory of its own under /tmp (short enough for its sockets
     * wherever the checkout is), which {@link #close()} removes with Postfix's queue and log.
     */
    public static PostfixRelay start(int port, NextHops hops) throws IOException {
        return start(port, hops, Tuning.AS_SHIPPED);
    }

    /** As {@link #start(int, NextHops)}, with this tuning of the SMTP client's connections. */
    public static PostfixRelay start(int port, NextHops hops, Tuning tuning) throws IOException {
        return start(Optional.empty(), port, hops, tuning, Optional.empty());
    }

    /**
     * Writes the configuration into {@code directory} (what was there is deleted) and starts
     * Postfix; the directory is kept after {@link #close()}, so that its log can be read.
     */
    public static PostfixRelay start(Path directory, int port, NextHops hops, Tuning tuning) throws IOException {
        return start(Optional.of(directory), port, hops, tuning, Optional.empty());
    }

    /**
     * In {@code directory} (kept, as {@link #start(Path, int, NextHops, Tuning)}) or a fresh one
     * (removed, as {@link #start(int, NextHops)}); with {@code resolvConf}, the internet route
     * resolves MX records through the name server it names (root: a mount namespace).
     */
    public static PostfixRelay start(Optional<Path> directory, int port, NextHops hops, Tuning tuning, Optional<Path> resolvConf) throws IOException {
        checkInstalled();
        if (directory.isEmpty()) {
            PostfixRelay postfix = new PostfixRelay(temporaryDirectory("relayguard-postfix-"), port, true, hops, tuning, resolvConf);
            postfix.configureAndLaunch();
            return postfix;
        }
        Path root = directory.get().toAbsolutePath().normalize();
        // A Postfix left running there by an interrupted run would keep the port and the queue.
        new PostfixRelay(root, 0, false, hops, tuning, resolvConf).stop();
        FileTrees.delete(root);
        PostfixRelay postfix = new PostfixRelay(root, port, false, hops, tuning, resolvConf);
        postfix.configureAndLaunch();
        return postfix;
    }

    @Override
    protected List<String> launcher() {
        if (resolvConf.isEmpty()) {
            return List.of();
        }
        // sh's exec: postfix start (and the master it leaves running) in the namespace, the file over /etc/resolv.conf.
        return List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
            "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", resolvConf.get().toString());
    }

    /**
     * The CPU time Postfix has used so far: its master process, the processes it has reaped
     * (smtpd, cleanup, smtp, … end after a number of uses) and those running now. Linux only.
     */
    public Duration cpuTime() {
        try {
            long master = Long.parseLong(Files.readString(directory().resolve("queue/pid/master.pid"), StandardCharsets.US_ASCII).trim());
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

    /** The Microsoft 365 smart host as Postfix's transport and TLS policy tables name it. */
    static String m365NextHop(NextHops hops) {
        return "[127.0.0.1]:" + hops.m365Port();
    }

    @Override
    protected void configure() throws IOException {
        Path headerChecks = writeConfigFile("header_checks", HEADER_CHECK + "\n");
        Path transport = writeConfigFile("transport", "contoso.com smtp:" + m365NextHop(hops) + "\n");
        // TLS where the gateway has it: verified to the Microsoft 365 smart host (its certificate's
        // name, by the smart host CA, as James's verifyServerIdentity and RELAYGUARD_SMARTHOST_CA),
        // opportunistic to the internet (Postfix's "may", as James's startTLS with ssl.trust=*).
        Path smartHostCa = writeConfigFile("smarthost-ca.pem", TestPki.pem(List.of(TestPki.smartHostCa().certificate)));
        Path tlsPolicy = writeConfigFile("tls_policy", m365NextHop(hops) + " secure match=" + TestPki.M365_SMARTHOST_NAME + "\n");
        List<String> internetRoute = resolvConf.isPresent()
            // No relay host: MX records by DNS (smtp_host_lookup = dns, Postfix's default), to port 25.
            ? List.of("relayhost =", "smtp_dns_support_level = enabled", "smtp_host_lookup = dns")
            : List.of("relayhost = [127.0.0.1]:" + hops.internetPort());
        List<String> lines = new ArrayList<>(List.of(
            "myhostname = peer.relayguard.test",
            "mydestination =",
            "mynetworks = 127.0.0.0/8",
            "smtpd_relay_restrictions = permit_mynetworks, reject"));
        lines.addAll(internetRoute);
        lines.addAll(List.of(
            "transport_maps = texthash:" + transport,
            "header_checks = pcre:" + headerChecks,
            "smtp_tls_security_level = may",
            "smtp_tls_policy_maps = texthash:" + tlsPolicy,
            "smtp_tls_CAfile = " + smartHostCa,
            // As Debian's main.cf ships it: TLS sessions are resumed across connections. The
            // connection cache is Postfix's default (smtp_connection_cache_on_demand = yes); only
            // the tuned relay also keeps TLS connections (smtp_tls_connection_reuse = yes, through
            // the tlsproxy service).
            "smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache",
            "smtp_tls_connection_reuse = " + (tuning == Tuning.TUNED ? "yes" : "no"),
            "smtp_tls_loglevel = 1"));
        writeConfiguration("Written by Relay Guard's peer comparison (./perf.sh peer, docs/postfix-comparison.md).", lines, List.of(),
            tuning == Tuning.TUNED ? List.of(TLSPROXY_SERVICE) : List.of());
    }
}
