package org.relayguard.tools.load;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.LocalDnsServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;

/**
 * The normal load with and without idle connections, in one run: two Relay Guard servers with the
 * shipped hardened configuration, each with its own next hops, given the same mails; one of them
 * ({@code idle}) also holds {@code --idle} connections (1000) that said nothing after the greeting,
 * opened before the measured runs from {@code --idle-addresses} loopback addresses (127.0.1.1…,
 * as many per address as the per-address limit lets through), kept open for the whole run (a
 * closed one is opened again). The ratio idle / quiet of mails per second end to end is the
 * result; goal ≥ {@value #GOAL}. As {@link LoadDriver}, each gateway is started afresh in every
 * fork and the runs of a round rotate their order; the accounting of every mail must be exact.
 *
 * <p>Both gateways run with the same settings: the shipped ones, except {@code maxConnections}
 * (per listener) raised to hold the idle connections and the load's
 * ({@code RELAYGUARD_SMTP_MAX_CONNECTIONS}, idle + connections + 100) and the command timeout
 * raised to an hour ({@code RELAYGUARD_SMTP_TIMEOUT}), so that the idle connections stay for the
 * whole run. The process's file limit must allow it (the server checks at start-up).</p>
 *
 * <p>{@code --stalled-dns} (root only): the case of issue 28. Both gateways ask a DNS server that
 * never answers ({@link LocalDnsServer#silent}, through {@link JamesServer.Builder#resolvConf}; the
 * tests' host names stay in the namespace's /etc/hosts), so the reverse lookup of every idle
 * address stalls; each idle connection says EHLO (which starts that lookup), and during the whole
 * run a client opens {@code --refused-per-second} (100) more connections from those addresses,
 * over the per-address limit, each refused with 421.</p>
 *
 * <pre>
 * java -cp … org.relayguard.tools.load.IdleConnectionsLoadDriver [--idle 1000] [--idle-addresses 50] [--stalled-dns] [--refused-per-second 100] [--mails 6000]
 *      [--forks 2] [--rounds 2] [--warmup 2000] [--connections 8] [--mails-per-connection 100] [--mix …] [--seed 42] [--pause 5]
 * </pre>
 *
 * Not measured in the session that wrote it (the machine was shared): run it on a quiet machine
 * ({@code ./perf.sh idle}).
 */
public final class IdleConnectionsLoadDriver extends Driver {
    private static final double GOAL = 0.9;

    private IdleConnectionsLoadDriver(Map<String, String> options) {
        super(options, 6_000, 2, 2_000);
    }

    public static void main(String[] args) throws Exception {
        Driver.main(args, "options: --idle N idle connections (1000) --idle-addresses A (50) --stalled-dns (their reverse lookups stall, root only) "
                + "--refused-per-second R (100, with --stalled-dns) --mails N per gateway, all forks (6000) "
                + "--forks F (2) --rounds R per fork (2) --warmup W per fork (2000) --connections C (8) --mails-per-connection M (100) --mix "
                + Mix.DEFAULT + " --seed S (42) --pause SECONDS (5)", IdleConnectionsLoadDriver::new, "stalled-dns");
    }

    @Override
    boolean run() throws Exception {
        int idle = option("idle", 1000);
        int idleAddresses = option("idle-addresses", 50);
        int forks = option("forks", 2);
        boolean stalledDns = options.containsKey("stalled-dns");
        int refusedPerSecond = option("refused-per-second", 100);
        if (stalledDns && !LocalDnsServer.canRun()) {
            System.err.println("--stalled-dns needs root: a DNS server on port 53 and a mount namespace for James");
            return false;
        }
        try (LocalDnsServer dns = stalledDns ? LocalDnsServer.silent() : null) {
            Path resolvConf = stalledDns ? dns.resolvConf(Files.createTempFile("relayguard-resolv-", ".conf")) : null;
            try {
                return run(idle, idleAddresses, forks, resolvConf, refusedPerSecond);
            } finally {
                if (resolvConf != null) {
                    Files.delete(resolvConf);
                }
            }
        }
    }

    private boolean run(int idle, int idleAddresses, int forks, Path resolvConf, int refusedPerSecond) throws Exception {
        System.out.printf(Locale.ROOT, "Relay Guard with and without %d idle connections (from %d addresses): %d mails per gateway in %d forks × %d rounds "
                + "(each fork after %d warm-up mails) over %d concurrent SMTP clients, %d mails per connection, mix %s%n",
            idle, idleAddresses, load.mails, forks, load.rounds, load.warmup, load.connections, load.perConnection, load.mix);
        if (resolvConf != null) {
            System.out.printf(Locale.ROOT, "Their reverse lookups stall (a DNS server that never answers); %d connections a second over the per-address limit%n",
                refusedPerSecond);
        }
        System.out.println(LoadDriver.machine());

        Measured quiet = new Measured();
        Measured loaded = new Measured();
        List<Double> roundRatios = new ArrayList<>();
        List<String> accountings = new ArrayList<>();
        boolean exact = true;
        for (int fork = 0; fork < forks; fork++) {
            Map<String, Gateway> gateways = new LinkedHashMap<>();
            try {
                gateways.put("quiet", new Gateway("quiet", idle + load.connections + 100, load.connections, load.perConnection, quiet, resolvConf));
                gateways.put("idle", new Gateway("idle", idle + load.connections + 100, load.connections, load.perConnection, loaded, resolvConf));
                int held = gateways.get("idle").holdIdle(idle, idleAddresses);
                System.out.printf(Locale.ROOT, "fork %d of %d: %d idle connections held on the idle gateway%n", fork + 1, forks, held);
                if (resolvConf != null) {
                    gateways.get("idle").refuseOverTheLimit(refusedPerSecond);
                }
                warmUp(gateways.values(), load.forkWarmup(fork));
                for (int round = 0; round < load.rounds; round++) {
                    List<LoadRun.Mail> roundMails = load.forkRound(fork, round, forks);
                    List<Gateway> order = new ArrayList<>(gateways.values());
                    // Two gateways: which goes first alternates from run to run.
                    Collections.rotate(order, fork * load.rounds + round);
                    for (Gateway gateway : order) {
                        Thread.sleep(load.pauseMillis);
                        gateways.get("idle").keepIdle();
                        gateway.send(roundMails, true);
                    }
                    roundRatios.add(gateways.get("idle").lastRate / gateways.get("quiet").lastRate);
                }
                exact &= account(gateways.values(), fork, accountings);
            } finally {
                close(gateways.values());
            }
        }

        double ratio = loaded.endToEndRate() / quiet.endToEndRate();
        System.out.println();
        System.out.println("| Gateway | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        System.out.println(row("quiet", quiet));
        System.out.println(row("idle (" + idle + " idle connections)", loaded));
        System.out.printf(Locale.ROOT, "%nRatio idle / quiet: %.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f× (goal ≥ %.2f: %s)%n"
                + "  each round: %s, median %.3f%n",
            ratio, loaded.smtpRate() / quiet.smtpRate(), loaded.percentile(0.50) / quiet.percentile(0.50),
            loaded.percentile(0.99) / quiet.percentile(0.99), GOAL, ratio >= GOAL ? "met" : "NOT met",
            DriverArguments.ratios(roundRatios), LoadDriver.median(roundRatios));
        System.out.printf(Locale.ROOT, "Load average at the end: %.2f%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println();
        accountings.forEach(System.out::println);
        return exact;
    }

    private static String row(String name, Measured measured) {
        return String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f |", name, measured.mails, measured.endToEndRate(),
            measured.smtpRate(), measured.percentile(0.50), measured.percentile(0.99));
    }

    /** One gateway of one fork: its own James and next hops, what was sent to it, its idle connections. */
    private static final class Gateway implements ForkGateway {
        final String name;
        final JamesServer james;
        final NextHops hops;
        final LoadRun load;
        final Measured measured;
        final List<LoadRun.Mail> sent = new ArrayList<>();
        final List<Socket> idle = new ArrayList<>();
        final List<String> idleSources = new ArrayList<>();
        /** Whether idle connections say EHLO: with stalled lookups, that starts one. */
        final boolean ehlo;
        final AtomicInteger refused = new AtomicInteger();
        volatile boolean closing;
        Thread refuser;
        double lastRate;

        Gateway(String name, int maxConnections, int connections, int perConnection, Measured measured, Path resolvConf) throws IOException {
            this.name = name;
            this.measured = measured;
            this.hops = NextHops.start();
            JamesServer.Builder builder = JamesServer.builder().nextHops(hops)
                .env("RELAYGUARD_SMTP_MAX_CONNECTIONS", String.valueOf(maxConnections))
                .env("RELAYGUARD_SMTP_TIMEOUT", "3600");
            if (resolvConf != null) {
                builder.resolvConf(resolvConf);
            }
            this.james = builder.start();
            this.ehlo = resolvConf != null;
            this.load = new LoadRun(james, hops, connections, perConnection);
        }

        /** In the background until closed: connections from the idle addresses, which are at their limit, each refused with 421. */
        void refuseOverTheLimit(int perSecond) {
            refuser = new Thread(() -> {
                long pauseNanos = 1_000_000_000L / Math.max(1, perSecond);
                for (int i = 0; !closing; i++) {
                    long start = System.nanoTime();
                    try (Socket socket = new Socket()) {
                        socket.bind(new InetSocketAddress(InetAddress.getByName(idleSources.get(i % idleSources.size())), 0));
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), james.smtpPort()), 10_000);
                        socket.setSoTimeout(10_000);
                        if (greeting(socket.getInputStream()).startsWith("421")) {
                            refused.incrementAndGet();
                        }
                    } catch (IOException e) {
                        // counted as not refused
                    }
                    long left = pauseNanos - (System.nanoTime() - start);
                    if (left > 0) {
                        LockSupport.parkNanos(left);
                    }
                }
            }, "over-the-limit-" + name);
            refuser.setDaemon(true);
            refuser.start();
        }

        /** Opens idle connections spread over the addresses; returns how many the gateway kept open. */
        int holdIdle(int count, int addresses) throws IOException {
            for (int i = 0; i < count; i++) {
                idleSources.add("127.0.1." + (1 + i % addresses));
            }
            keepIdle();
            return idle.size();
        }

        /** Opens again the idle connections the gateway closed (refused with 421, or timed out). */
        void keepIdle() throws IOException {
            idle.removeIf(Socket::isClosed);
            for (int i = idle.size(); i < idleSources.size(); i++) {
                Socket socket = new Socket();
                socket.bind(new InetSocketAddress(InetAddress.getByName(idleSources.get(i)), 0));
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), james.smtpPort()), 10_000);
                socket.setSoTimeout(10_000);
                if (greeting(socket.getInputStream()).startsWith("220")) {
                    if (ehlo) {
                        socket.getOutputStream().write("EHLO idle.example\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    idle.add(socket);
                } else {
                    socket.close();
                }
            }
        }

        private static String greeting(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                line.append((char) c);
            }
            return line.toString();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void send(List<LoadRun.Mail> mails, boolean counted) throws InterruptedException {
            sent.addAll(mails);
            LoadRun.Result result = load.send(mails, Accounting.expectedRelayed(sent, Accounting.Pipeline.HARDENED, false), ROUND_TIMEOUT);
            lastRate = LoadDriver.rate(result.mails, result.endToEndNanos);
            System.out.printf(Locale.ROOT, "%-8s %-6s %6d mails: %7.1f mails/s end to end, %7.1f accepted/s, p50 %.1f ms, p99 %.1f ms%n",
                counted ? "measured" : "warm-up", name, result.mails, lastRate, LoadDriver.rate(result.mails, result.smtpNanos),
                LoadDriver.percentile(List.of(result.latencies), 0.50), LoadDriver.percentile(List.of(result.latencies), 0.99));
            if (counted) {
                measured.add(result);
            }
        }

        @Override
        public Accounting account() {
            Outcomes outcomes = Outcomes.await(james, hops, Accounting.expectedRelayed(sent, Accounting.Pipeline.HARDENED, false),
                MailKind.ID_HEADER, Duration.ofMinutes(5));
            return Accounting.of(outcomes, sent, Accounting.Pipeline.HARDENED, false);
        }

        @Override
        public void close() {
            closing = true;
            if (refuser != null) {
                System.out.printf(Locale.ROOT, "%s: %d connections over the per-address limit refused with 421%n", name, refused.get());
            }
            for (Socket socket : idle) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            james.close();
            hops.close();
        }
    }
}
