package org.relayguard.tools.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.process.Commands;
import org.relayguard.tools.process.Ports;

/**
 * {@code ./perf.sh peer}: the durable gateway side by side with the relay an operator would pick
 * instead, in one run: a {@link PostfixRelay} (Debian's Postfix, one PCRE {@code header_checks}
 * rule) and the Relay Guard server in the hardened profile (audit mode, as {@link LoadDriver}'s
 * {@code hardened}), each relaying to its own two next hops. Both get the same mails (those from
 * Microsoft 365 with all the headers Exchange Online stamps, 41 in all) over the same number of
 * connections, in rounds that alternate which goes first (the second of a pair tends to be slower
 * on a shared machine), after a warm-up. Prints mails/s accepted (SMTP) and end to end (until the
 * next hops hold every mail), SMTP latency, the CPU time the relay's own processes used per mail
 * (steadier than mails/s on a machine shared with other work), the ratio gateway / Postfix per
 * round and in all, the TLS handshakes and connections per mail that each relay's next hops saw
 * (both relays use TLS alike: verified to the smart host, opportunistic to the internet), the load
 * average with every measurement, and the accounting of every mail on both sides. Exits 1 when an accounting is not exact. docs/postfix-comparison.md.
 *
 * <p>The internet route ({@code --internet-route}): by default as shipped, without an outbound
 * gateway: each relay resolves the internet domains' MX records through a name server of its own
 * and delivers to two MX hosts of its own on port 25 ({@link MxRoute}); with {@code gateway}, both
 * relay all internet mail to one next hop. A share of the mails from Microsoft 365 goes by BDAT and
 * a share of all with SMTPUTF8 ({@link LoadRun.Extensions}, {@code --bdat}, {@code --smtputf8}).</p>
 *
 * <pre>
 * java -cp … org.relayguard.tools.load.PeerComparison [--mails 10000] [--warmup 200] [--rounds 4]
 *      [--connections 8] [--mails-per-connection 100] [--mix …] [--seed 42] [--pause 5]
 *      [--dir DIRECTORY] [--postfix tuned|as-shipped] [--internet-route mx|gateway] [--bdat 30] [--smtputf8 5]
 *      [--profile DIRECTORY]
 * </pre>
 *
 * <p>{@code --profile DIRECTORY}: a JFR recording ({@code settings=profile}, CPU samples every 2 ms) of the gateway's JVM
 * during the measured rounds only ({@code jcmd JFR.start} after the warm-up, {@code JFR.stop} after
 * the last round), kept as {@code gateway.jfr} there, and its {@link JfrSummary} printed and written
 * beside it ({@code gateway-summary.txt}). The recording costs CPU too: read its shares, not the
 * run's CPU per mail.</p>
 */
public final class PeerComparison extends Driver {

    private PeerComparison(Map<String, String> options) {
        super(options, 10_000, 4, 200);
    }

    public static void main(String[] args) throws Exception {
        Driver.main(args, "options: --mails N per relay, all rounds (10000) --warmup W per relay (200) --rounds R (4) "
                + "--connections C (8) --mails-per-connection M (100) --mix " + Mix.DEFAULT + " --seed S (42) --pause SECONDS (5) "
                + "--dir DIRECTORY for Postfix's configuration, queue and log, kept after the run (default: a fresh one under /tmp, removed at the end) "
                + "--postfix tuned (TLS connections reused through tlsproxy, the default) or as-shipped (as Debian ships it) "
                + "--internet-route mx (the default: no outbound gateway, both relays resolve the internet domains' MX records through "
                + "a local name server of their own and deliver to two MX hosts of their own on port 25, as shipped) or gateway "
                + "(both relay all internet mail to one outbound gateway) "
                + "--profile DIRECTORY: record the gateway's JVM with JFR during the measured rounds and print where its CPU went "
                + LoadOptions.EXTENSIONS_USAGE, PeerComparison::new);
    }

    /** Runs the comparison in this JVM with these options (as on the command line); whether both accountings were exact. */
    public static boolean run(String... args) throws Exception {
        return new PeerComparison(DriverArguments.parse(args)).run();
    }

    /** One relay under load: how mail gets in, where it is counted, what its measured runs add up to. */
    private abstract static class Relay extends Measured implements AutoCloseable {
        final String name;
        final NextHops hops;
        /** The internet route by MX records, or empty: to {@link NextHops#internet()} as an outbound gateway. */
        final Optional<MxRoute> mx;
        final List<LoadRun.Mail> sent = new ArrayList<>();
        long cpuNanos;
        long handshakes;
        long connections;
        double lastRate;

        Relay(String name, Optional<MxRoute> mx) {
            this.name = name;
            this.mx = mx;
            this.hops = mx.isPresent() ? mx.get().hops() : NextHops.start();
        }

        /** Which route carried what, over how many connections and TLS handshakes (the warm-up included). */
        String routes() {
            SmtpSink m365 = hops.m365();
            return String.format(Locale.ROOT, "M365 smart host %d mails over %d connections, %d TLS handshakes; internet %s", m365.count(),
                m365.connectionCount(), m365.tlsHandshakeCount(), mx.isPresent() ? "by MX: " + mx.get().carried()
                    : String.format(Locale.ROOT, "gateway %d mails over %d connections, %d TLS handshakes", hops.internet().count(),
                        hops.internet().connectionCount(), hops.internet().tlsHandshakeCount()));
        }

        /** Closes the next hops (and the MX route's name server). */
        void closeRoutes() {
            if (mx.isPresent()) {
                mx.get().close();
            } else {
                hops.close();
            }
        }

        abstract LoadRun load();

        /** The CPU time the relay's processes have used so far (not the next hops', not this driver's). */
        abstract Duration cpuTime();

        /** Where every mail sent is, against where it should be. */
        abstract String account();

        abstract boolean exact();

        void send(List<LoadRun.Mail> batch, boolean measured) throws InterruptedException {
            sent.addAll(batch);
            String before = loadAverage();
            Duration cpuBefore = cpuTime();
            int handshakesBefore = handshakes();
            int connectionsBefore = connections();
            // Both relay every mail: Postfix warns about a foreign tenant, the gateway in audit mode
            // relays it and quarantines a copy.
            LoadRun.Result result = load().send(batch, sent.size(), ROUND_TIMEOUT);
            long cpu = cpuTime().minus(cpuBefore).toNanos();
            int roundHandshakes = handshakes() - handshakesBefore;
            int roundConnections = connections() - connectionsBefore;
            lastRate = LoadDriver.rate(result.mails, result.endToEndNanos);
            System.out.printf(Locale.ROOT, "%-8s %-8s %6d mails: %7.1f mails/s end to end, %7.1f accepted/s, p50 %.1f ms, p99 %.1f ms, "
                    + "CPU %.2f ms/mail, TLS handshakes %.3f/mail over %.3f connections/mail to the next hops, %d by BDAT so far; load average %s -> %s%n",
                measured ? "measured" : "warm-up", name, result.mails, lastRate, LoadDriver.rate(result.mails, result.smtpNanos),
                LoadDriver.percentile(List.of(result.latencies), 0.50), LoadDriver.percentile(List.of(result.latencies), 0.99),
                cpu / 1e6 / result.mails, (double) roundHandshakes / result.mails, (double) roundConnections / result.mails,
                load().sentByBdat(), before, loadAverage());
            if (measured) {
                cpuNanos += cpu;
                handshakes += roundHandshakes;
                connections += roundConnections;
                add(result);
            }
        }

        /** TLS handshakes both next hops have completed so far: counted at the sinks, the same way for both relays. */
        int handshakes() {
            return hops.m365().tlsHandshakeCount() + hops.internet().tlsHandshakeCount();
        }

        /** SMTP connections both next hops have accepted so far. */
        int connections() {
            return hops.m365().connectionCount() + hops.internet().connectionCount();
        }

        double cpuPerMail() {
            return cpuNanos / 1e6 / mails;
        }

        String row(String description) {
            return String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.3f | %.3f |", name, description, mails,
                endToEndRate(), smtpRate(), percentile(0.50), percentile(0.99), cpuPerMail(),
                (double) handshakes / mails, (double) connections / mails);
        }
    }

    private static final class Postfix extends Relay {
        final PostfixRelay postfix;
        final LoadRun load;
        private boolean exact;

        Postfix(Optional<Path> directory, PostfixRelay.Tuning tuning, Optional<MxRoute> mx, int connections, int perConnection) throws IOException {
            super("postfix", mx);
            try {
                this.postfix = PostfixRelay.start(directory, Ports.free(), hops, tuning, mx.map(MxRoute::resolvConf));
            } catch (IOException | RuntimeException e) {
                closeRoutes();
                throw e;
            }
            System.out.println("Postfix's configuration, queue and log: " + postfix.directory()
                + (directory.isPresent() ? "" : " (removed at the end; --dir keeps them)"));
            this.load = new LoadRun(postfix::port, hops, connections, perConnection);
        }

        @Override
        LoadRun load() {
            return load;
        }

        @Override
        Duration cpuTime() {
            return postfix.cpuTime();
        }

        @Override
        String account() {
            List<String> problems = new ArrayList<>();
            Map<String, Integer> m365 = copies(hops.m365());
            Map<String, Integer> internet = copies(hops.internet());
            for (LoadRun.Mail mail : sent) {
                boolean toM365 = mail.kind.toOurDomains();
                int onRoute = (toM365 ? m365 : internet).getOrDefault(mail.id, 0);
                int offRoute = (toM365 ? internet : m365).getOrDefault(mail.id, 0);
                if (onRoute != 1 || offRoute != 0) {
                    problems.add(String.format("%s (%s): relayed %d to the %s next hop and %d to the other; expected 1 and 0",
                        mail.id, mail.kind, onRoute, toM365 ? "M365" : "internet", offRoute));
                }
            }
            List<SmtpSink.Received> received = new ArrayList<>(hops.m365().received());
            received.addAll(hops.internet().received());
            problems.addAll(Accounting.addressProblems(load.asSent(sent), received));
            int relayed = hops.m365().count() + hops.internet().count();
            if (relayed != sent.size()) {
                problems.add("the next hops received " + relayed + " mails for " + sent.size() + " sent");
            }
            exact = problems.isEmpty();
            String summary = String.format("relayed %d (sent %d): %s", relayed, sent.size(), exact ? "exact" : "NOT EXACT");
            return exact ? summary : summary + "\n  " + String.join("\n  ", problems.subList(0, Math.min(20, problems.size())));
        }

        @Override
        boolean exact() {
            return exact;
        }

        private static Map<String, Integer> copies(SmtpSink sink) {
            Map<String, Integer> copies = new HashMap<>();
            for (SmtpSink.Received received : sink.received()) {
                copies.merge(String.valueOf(received.header(MailKind.ID_HEADER)), 1, Integer::sum);
            }
            return copies;
        }

        @Override
        public void close() {
            postfix.close();
            closeRoutes();
        }
    }

    private static final class Gateway extends Relay {
        private static final String RECORDING = "relayguard-peer";
        private Map<String, Long> threadsBefore = Map.of();
        final JamesServer james;
        final LoadRun load;
        private final ProcessHandle process;
        private Accounting accounting;

        Gateway(Optional<MxRoute> mx, int connections, int perConnection) throws IOException {
            super("gateway", mx);
            JamesServer.Builder builder = JamesServer.builder().kind(JamesServer.Kind.RELAY_GUARD).nextHops(hops).enforce(false);
            if (mx.isPresent()) {
                // As shipped: no outbound gateway, the internet route resolves MX records, here through its own name server.
                builder.env("RELAYGUARD_OUTBOUND_GATEWAY", "").resolvConf(mx.get().resolvConf());
            }
            JamesServer started = null;
            try {
                started = builder.prepare();
                started.start();
            } catch (IOException | RuntimeException e) {
                if (started != null) {
                    started.close();
                }
                // The next hops (and an MX route's name server and port 25) are not left behind for the next run in this JVM.
                closeRoutes();
                throw e;
            }
            this.james = started;
            this.load = new LoadRun(james, hops, connections, perConnection);
            // James runs in a child process of this JVM: the only one running the server's main class.
            this.process = ProcessHandle.current().children()
                .filter(child -> child.info().commandLine().orElse("").contains(JamesServer.Kind.RELAY_GUARD.mainClass))
                .findFirst().orElse(null);
        }

        /**
         * Starts a JFR recording of James's JVM: the JDK's {@code profile} settings, with a CPU sample
         * every 2 ms instead of 10 (a short run then holds enough samples for shares of 1 %).
         */
        void startProfile(Path directory) throws IOException {
            Files.createDirectories(directory);
            Path profile = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
            String settings = Files.readString(profile, StandardCharsets.UTF_8).replace(
                "<setting name=\"period\" control=\"method-sampling-java-interval\">10 ms</setting>",
                "<setting name=\"period\" control=\"method-sampling-java-interval\">2 ms</setting>");
            Path jfc = directory.toAbsolutePath().resolve("profile-2ms.jfc");
            Files.writeString(jfc, settings, StandardCharsets.UTF_8);
            threadsBefore = ThreadCpu.snapshot(process == null ? 0 : process.pid());
            jcmd("JFR.start", "name=" + RECORDING, "settings=" + jfc);
        }

        /**
         * Stops the recording into {@code directory}/gateway.jfr and prints and writes its summary,
         * with the classes that hold the most of James's heap right then (what the run left live).
         */
        void stopProfile(Path directory) throws IOException {
            Path recording = directory.toAbsolutePath().resolve("gateway.jfr");
            Map<String, Long> threadsAfter = ThreadCpu.snapshot(process.pid());
            jcmd("JFR.stop", "name=" + RECORDING, "filename=" + recording);
            String histogram = jcmd("GC.class_histogram").lines().limit(18).collect(Collectors.joining(System.lineSeparator()));
            String summary = JfrSummary.of(recording).format(25) + ThreadCpu.shares(threadsBefore, threadsAfter, 25)
                + String.format("%nJames's heap at the end of the measured rounds (jcmd GC.class_histogram)%n") + histogram + System.lineSeparator();
            Files.writeString(directory.resolve("gateway-summary.txt"), summary, StandardCharsets.UTF_8);
            System.out.println();
            System.out.println("Where the gateway's CPU went in the measured rounds (" + recording + "; ./perf.sh jfr FILE prints it again):");
            System.out.print(summary);
        }

        private String jcmd(String... arguments) throws IOException {
            if (process == null) {
                throw new IOException("--profile: James's process not found");
            }
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(process.pid())));
            command.addAll(List.of(arguments));
            return Commands.run(command, Map.of(), 120);
        }

        @Override
        Duration cpuTime() {
            return process == null ? Duration.ZERO : process.info().totalCpuDuration().orElse(Duration.ZERO);
        }

        @Override
        LoadRun load() {
            return load;
        }

        @Override
        String account() {
            // Everything was relayed already; wait for the queues to be empty before reading.
            Outcomes outcomes = Outcomes.await(james, hops, Accounting.expectedRelayed(sent, Accounting.Pipeline.HARDENED, false),
                MailKind.ID_HEADER, Duration.ofMinutes(5));
            accounting = Accounting.of(outcomes, load.asSent(sent), Accounting.Pipeline.HARDENED, false, hops);
            return accounting.toString();
        }

        @Override
        boolean exact() {
            return accounting != null && accounting.isExact();
        }

        @Override
        public void close() {
            james.close();
            closeRoutes();
        }
    }

    @Override
    boolean run() throws Exception {
        Optional<Path> directory = Optional.ofNullable(options.get("dir")).map(Path::of);
        PostfixRelay.Tuning tuning = PostfixRelay.Tuning.parse(options.getOrDefault("postfix", "tuned"));
        boolean byMx = internetRoute(options.getOrDefault("internet-route", "mx"));
        Optional<Path> profile = Optional.ofNullable(options.get("profile")).map(Path::of);

        System.out.printf(Locale.ROOT, "Peer comparison: %d mails per relay in %d rounds (after %d warm-up mails) over %d concurrent SMTP clients, "
                + "%d mails per connection, mix %s; mails from Microsoft 365 with 41 headers; %s%n",
            load.mails, load.rounds, load.warmup, load.connections, load.perConnection, load.mix, load.extensions);
        System.out.println(LoadDriver.machine() + "; Postfix " + PostfixRelay.version() + "; load average " + loadAverage());

        List<Double> roundRatios = new ArrayList<>();
        System.out.println(byMx
            ? "Internet route: by MX records, no outbound gateway (as shipped); each relay its own name server and its own two MX hosts "
                + "(gateway 127.25.1.1-2:25, Postfix 127.25.2.1-2:25); " + MailKind.INTERNET_DOMAINS.size() + " internet domains and "
                + MailKind.IDN_DOMAIN + ", every other one preferring the other MX host"
            : "Internet route: an outbound gateway (one next hop) for both relays");
        // Gateway 1, Postfix 2: each relay's own MX host addresses.
        try (Postfix postfix = new Postfix(directory, tuning, byMx ? Optional.of(MxRoute.start(2)) : Optional.empty(), load.connections, load.perConnection);
             Gateway gateway = new Gateway(byMx ? Optional.of(MxRoute.start(1)) : Optional.empty(), load.connections, load.perConnection)) {
            List<LoadRun.Mail> warmupMails = LoadRun.mails("peer-warmup", load.mix, load.warmup, load.seed, true, load.extensions);
            postfix.send(warmupMails, false);
            gateway.send(warmupMails, false);
            if (profile.isPresent()) {
                gateway.startProfile(profile.get());
            }
            for (int round = 0; round < load.rounds; round++) {
                List<LoadRun.Mail> roundMails = LoadRun.mails("peer-round" + round, load.mix,
                    load.mailsOfRun(round, load.rounds), load.seed + 1 + round, true, load.extensions);
                List<Relay> order = round % 2 == 0 ? List.of(postfix, gateway) : List.of(gateway, postfix);
                for (Relay relay : order) {
                    // Let the previous relay finish what follows delivery (queue clean-up, journal
                    // checkpoints, garbage collection) before the next one runs on the same cores.
                    Thread.sleep(load.pauseMillis);
                    relay.send(roundMails, true);
                }
                roundRatios.add(gateway.lastRate / postfix.lastRate);
            }
            if (profile.isPresent()) {
                gateway.stopProfile(profile.get());
            }

            System.out.println();
            System.out.println("| Relay | Server | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms | CPU ms per mail "
                + "| TLS handshakes per mail | Next-hop connections per mail |");
            System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            System.out.println(postfix.row("Postfix " + PostfixRelay.version() + ", one PCRE header_checks rule, TLS secure to the smart host, may to the internet, "
                + tuning.description));
            System.out.println(gateway.row("Relay Guard server (durable queues), hardened profile, audit mode"));
            System.out.printf(Locale.ROOT, "%nRatio gateway / Postfix: %.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f×%n",
                gateway.endToEndRate() / postfix.endToEndRate(), gateway.smtpRate() / postfix.smtpRate(),
                gateway.percentile(0.50) / postfix.percentile(0.50), gateway.percentile(0.99) / postfix.percentile(0.99));
            System.out.printf(Locale.ROOT, "  CPU per mail (the relay's processes, not the next hops nor this driver): %.2f×; "
                    + "on a shared machine, the steadier figure%n", gateway.cpuPerMail() / postfix.cpuPerMail());
            System.out.printf(Locale.ROOT, "  each round, end to end (postfix first in rounds 1, 3, …): %s, median %.3f%n",
                String.join(", ", roundRatios.stream().map(r -> String.format(Locale.ROOT, "%.3f", r)).toArray(String[]::new)),
                LoadDriver.median(roundRatios));
            System.out.println("Load average at the end: " + loadAverage() + " (2 cores; the relay under load and this driver use them)");
            System.out.println();
            System.out.println("Accounting postfix: " + postfix.account());
            System.out.println("Accounting gateway: " + gateway.account());
            System.out.println("Routes postfix (warm-up included): " + postfix.routes());
            System.out.println("Routes gateway (warm-up included): " + gateway.routes());
            return postfix.exact() && gateway.exact();
        }
    }

    /** {@code --internet-route}: whether the internet route resolves MX records ({@code mx}) or goes to one outbound gateway ({@code gateway}). */
    static boolean internetRoute(String value) {
        switch (value) {
            case "mx":
                return true;
            case "gateway":
                return false;
            default:
                throw new IllegalArgumentException("--internet-route: mx or gateway, not '" + value + "'");
        }
    }

    /** The 1, 5 and 15 minute load averages, as uptime shows them. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
