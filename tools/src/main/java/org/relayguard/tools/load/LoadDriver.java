package org.relayguard.tools.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.TestPki;

/**
 * The end-to-end load comparison, in one run: the shipped configuration on four gateways, each
 * delivering to its own two next hops (over TLS, as the shipped configuration does: verified to the
 * M365 smart host, opportunistic to the internet one) —
 * <ul>
 * <li>{@code plain}: the Relay Guard server (durable queues) with the {@link PlainPipeline}, that
 *     has no Relay Guard: the baseline of what the rules cost;</li>
 * <li>{@code hardened}: the Relay Guard server with the shipped hardened profile, what run.sh starts;</li>
 * <li>{@code hardened-tls}: the same, its SMTP clients starting TLS on every connection as Exchange
 *     Online's connector with "Always use TLS" does: against {@code hardened}, what TLS on the
 *     listener costs (a handshake per connection, and the encryption);</li>
 * <li>{@code memory}: the hardened profile on James's stock memory server, which keeps its queues
 *     in memory: the baseline of what durability costs.</li>
 * </ul>
 * Two JVMs of one server, given the same mails, differ by up to ten percent for as long as they
 * run (what the JIT made of them), so each gateway is started afresh in every <em>fork</em>, as
 * JMH does, and the results are summed over the forks. In a fork, after a warm-up, all gateways
 * get the same mails in rounds whose order rotates (so that a drift of the machine hits all
 * alike), with a pause before each run so that the previous server's background work is done.
 * The driver prints mails per second and SMTP latency for each, the ratios hardened / plain
 * (target ≥ 0.97) and hardened / memory, per round and per fork, and the exact accounting of every
 * mail of every fork. Exits 1 when an accounting is not exact.
 *
 * <pre>
 * java -cp … org.relayguard.tools.load.LoadDriver [--mails 10000] [--forks 2] [--rounds 2] [--warmup 4000]
 *      [--connections 8] [--mails-per-connection 100] [--mix our_tenant=70,forward=5,foreign_tenant=5,internet=20]
 *      [--enforce] [--seed 42] [--no-memory] [--no-tls] [--pause 5] [--bdat 30] [--smtputf8 5]
 * </pre>
 */
public final class LoadDriver extends Driver {
    private static final double TARGET_RATIO = 0.97;

    private LoadDriver(Map<String, String> options) {
        super(options, 10_000, 2, 4_000);
    }

    public static void main(String[] args) throws Exception {
        Driver.main(args, "options: --mails N per gateway, all forks (10000) --forks F (2) --rounds R per fork (2) "
                + "--warmup W per fork (4000) --connections C (8) --mails-per-connection M (100) --mix " + Mix.DEFAULT
                + " --enforce --seed S (42) --no-memory --no-tls --pause SECONDS (5) " + LoadOptions.EXTENSIONS_USAGE, LoadDriver::new, "enforce", "no-memory", "no-tls");
    }

    /** A gateway to measure: its name, server and pipeline, and whether its clients start TLS. */
    private static final class Setup {
        final String name;
        final JamesServer.Kind kind;
        final Accounting.Pipeline pipeline;
        final boolean clientsStartTls;
        final Measured measured = new Measured();

        Setup(String name, JamesServer.Kind kind, Accounting.Pipeline pipeline, boolean clientsStartTls) {
            this.name = name;
            this.kind = kind;
            this.pipeline = pipeline;
            this.clientsStartTls = clientsStartTls;
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %.1f | %.1f | %.1f | %.1f |", name,
                kind == JamesServer.Kind.RELAY_GUARD ? "Relay Guard (durable)" : "James memory", pipeline.name().toLowerCase(Locale.ROOT),
                clientsStartTls ? "STARTTLS" : "clear text",
                measured.mails, measured.endToEndRate(), measured.smtpRate(), measured.percentile(0.50), measured.percentile(0.99));
        }
    }

    /** What the measured runs of one setup add up to. */
    @Override
    boolean run() throws Exception {
        int forks = option("forks", 2);
        boolean enforce = options.containsKey("enforce");

        Setup plain = new Setup("plain", JamesServer.Kind.RELAY_GUARD, Accounting.Pipeline.PLAIN, false);
        Setup hardened = new Setup("hardened", JamesServer.Kind.RELAY_GUARD, Accounting.Pipeline.HARDENED, false);
        Setup tls = options.containsKey("no-tls") ? null : new Setup("hardened-tls", JamesServer.Kind.RELAY_GUARD, Accounting.Pipeline.HARDENED, true);
        Setup memory = options.containsKey("no-memory") ? null : new Setup("memory", JamesServer.Kind.STOCK_MEMORY, Accounting.Pipeline.HARDENED, false);
        List<Setup> setups = new ArrayList<>(List.of(plain, hardened));
        if (tls != null) {
            setups.add(tls);
        }
        if (memory != null) {
            setups.add(memory);
        }

        System.out.printf(Locale.ROOT, "Relay Guard load: %d mails per gateway in %d forks × %d rounds (each fork after %d warm-up mails) "
                + "over %d concurrent SMTP clients, %d mails per connection, %s mode, mix %s; %s (James's memory server offers no CHUNKING: "
            + "its clients send those by DATA; the plain pipeline neither CHUNKING nor SMTPUTF8: its clients send the SMTPUTF8 mails' ASCII twins)%n",
            load.mails, forks, load.rounds, load.warmup, load.connections, load.perConnection, enforce ? "enforce" : "audit", load.mix, load.extensions);
        System.out.println(machine());

        List<Double> roundRatios = new ArrayList<>();
        List<Double> durabilityRatios = new ArrayList<>();
        List<Double> tlsRatios = new ArrayList<>();
        List<Double> forkRatios = new ArrayList<>();
        boolean exact = true;
        List<String> accountings = new ArrayList<>();
        for (int fork = 0; fork < forks; fork++) {
            System.out.printf(Locale.ROOT, "fork %d of %d: starting %d gateways%n", fork + 1, forks, setups.size());
            Map<Setup, Gateway> gateways = new LinkedHashMap<>();
            try {
                for (Setup setup : setups) {
                    gateways.put(setup, new Gateway(setup, load.connections, load.perConnection, enforce));
                }
                warmUp(gateways.values(), load.forkWarmup(fork));
                for (int round = 0; round < load.rounds; round++) {
                    List<LoadRun.Mail> roundMails = load.forkRound(fork, round, forks);
                    // Each run's order of the gateways another: rotated by one, and reversed every other run.
                    int run = fork * load.rounds + round;
                    List<Gateway> order = new ArrayList<>(gateways.values());
                    Collections.rotate(order, run);
                    if (run % 2 == 1) {
                        Collections.reverse(order);
                    }
                    for (Gateway gateway : order) {
                        // The previous run's server is still finishing what follows delivery (queue
                        // acknowledgements, journal checkpoints, garbage collection): let it, so that it
                        // does not run on the cores of the next one.
                        Thread.sleep(load.pauseMillis);
                        gateway.send(roundMails, true);
                    }
                    roundRatios.add(gateways.get(hardened).lastRate / gateways.get(plain).lastRate);
                    if (memory != null) {
                        durabilityRatios.add(gateways.get(hardened).lastRate / gateways.get(memory).lastRate);
                    }
                    if (tls != null) {
                        tlsRatios.add(gateways.get(tls).lastRate / gateways.get(hardened).lastRate);
                    }
                }
                forkRatios.add(gateways.get(hardened).forkMeasured.endToEndRate() / gateways.get(plain).forkMeasured.endToEndRate());
                exact &= account(gateways.values(), fork, accountings);
            } finally {
                close(gateways.values());
            }
        }

        System.out.println();
        System.out.println("| Gateway | Server | Pipeline | Clients | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms |");
        System.out.println("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (Setup setup : setups) {
            System.out.println(setup.row());
        }
        double ratio = hardened.measured.endToEndRate() / plain.measured.endToEndRate();
        System.out.printf(Locale.ROOT, "%nRatio hardened / plain (Relay Guard server): %.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f× (target ≥ %.2f: %s)%n",
            ratio, hardened.measured.smtpRate() / plain.measured.smtpRate(),
            hardened.measured.percentile(0.50) / plain.measured.percentile(0.50),
            hardened.measured.percentile(0.99) / plain.measured.percentile(0.99),
            TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "NOT met");
        // Each round's runs are back to back: their ratio is less exposed to a machine shared with other work.
        System.out.printf(Locale.ROOT, "  each fork: %s; each round (back to back): %s, median %.3f%n",
            DriverArguments.ratios(forkRatios), DriverArguments.ratios(roundRatios), median(roundRatios));
        if (tls != null) {
            System.out.printf(Locale.ROOT, "Ratio STARTTLS / clear text (hardened on the Relay Guard server, clients starting TLS on each of "
                    + "their connections or not): %.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f×%n"
                    + "  each round: %s, median %.3f%n",
                tls.measured.endToEndRate() / hardened.measured.endToEndRate(), tls.measured.smtpRate() / hardened.measured.smtpRate(),
                tls.measured.percentile(0.50) / hardened.measured.percentile(0.50),
                tls.measured.percentile(0.99) / hardened.measured.percentile(0.99),
                DriverArguments.ratios(tlsRatios), median(tlsRatios));
        }
        if (memory != null) {
            System.out.printf(Locale.ROOT, "Ratio durable / memory (hardened on the Relay Guard server / on James's memory server): "
                    + "%.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f×%n  each round: %s, median %.3f%n",
                hardened.measured.endToEndRate() / memory.measured.endToEndRate(), hardened.measured.smtpRate() / memory.measured.smtpRate(),
                hardened.measured.percentile(0.50) / memory.measured.percentile(0.50),
                hardened.measured.percentile(0.99) / memory.measured.percentile(0.99),
                DriverArguments.ratios(durabilityRatios), median(durabilityRatios));
        }
        System.out.printf(Locale.ROOT, "Load average at the end: %.2f (this driver and the James under load use 2 cores' worth; more is other work)%n",
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println();
        accountings.forEach(System.out::println);
        return exact;
    }

    /** One gateway of one fork: its own James and its own next hops, what was sent to it. */
    private static final class Gateway implements ForkGateway {
        final Setup setup;
        final JamesServer james;
        final NextHops hops;
        final LoadRun load;
        final boolean enforce;
        final List<LoadRun.Mail> sent = new ArrayList<>();
        final Measured forkMeasured = new Measured();
        double lastRate;

        Gateway(Setup setup, int connections, int perConnection, boolean enforce) throws IOException {
            this.setup = setup;
            this.hops = NextHops.start();
            this.james = JamesServer.builder().kind(setup.kind).nextHops(hops).enforce(enforce).prepare();
            if (setup.pipeline == Accounting.Pipeline.PLAIN) {
                PlainPipeline.apply(james);
            }
            james.start();
            this.load = new LoadRun(james, hops, connections, perConnection,
                setup.clientsStartTls ? Optional.of(TestPki.gatewayCa().clientContext()) : Optional.empty());
            this.enforce = enforce;
        }

        @Override
        public String name() {
            return setup.name;
        }

        @Override
        public void close() {
            james.close();
            hops.close();
        }

        @Override
        public void send(List<LoadRun.Mail> mails, boolean measured) throws InterruptedException {
            sent.addAll(mails);
            LoadRun.Result result = load.send(mails, Accounting.expectedRelayed(sent, setup.pipeline, enforce), ROUND_TIMEOUT);
            System.out.printf(Locale.ROOT, "%-8s %-8s %6d mails: %7.1f mails/s end to end, %7.1f accepted/s, p50 %.1f ms, p99 %.1f ms; "
                    + "%d by BDAT, %d in ASCII for want of SMTPUTF8 so far%n",
                measured ? "measured" : "warm-up", setup.name, result.mails, rate(result.mails, result.endToEndNanos), rate(result.mails, result.smtpNanos),
                LoadDriver.percentile(List.of(result.latencies), 0.50), LoadDriver.percentile(List.of(result.latencies), 0.99), load.sentByBdat(),
                load.sentInAscii());
            lastRate = rate(result.mails, result.endToEndNanos);
            if (measured) {
                setup.measured.add(result);
                forkMeasured.add(result);
            }
        }

        @Override
        public Accounting account() {
            // Everything was relayed already; wait for the queues to be empty before reading.
            Outcomes outcomes = Outcomes.await(james, hops, Accounting.expectedRelayed(sent, setup.pipeline, enforce), MailKind.ID_HEADER, Duration.ofMinutes(5));
            return Accounting.of(outcomes, load.asSent(sent), setup.pipeline, enforce, hops);
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().collect(Collectors.toList());
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    static double rate(int mails, long nanos) {
        return mails / (nanos / 1e9);
    }

    /** A percentile of all latencies, in milliseconds (nearest rank). */
    static double percentile(List<long[]> latencies, double p) {
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        if (all.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * all.length) - 1;
        return all[Math.max(0, rank)] / 1e6;
    }

    static String machine() {
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalPhysicalMemorySize();
        String cpu = "unknown CPU";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(line -> line.startsWith("model name")).map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: the model stays unknown
        }
        return String.format(Locale.ROOT, "Machine: %s, %d cores, %.0f GiB; %s %s; load average at start %.2f",
            cpu, Runtime.getRuntime().availableProcessors(), memory / (1024.0 * 1024 * 1024),
            System.getProperty("java.vm.name"), System.getProperty("java.version"),
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
}
