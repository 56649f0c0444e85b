package org.relayguard.it.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.relayguard.it.JamesServer;
import org.relayguard.it.Outcomes;
import org.relayguard.it.SmtpSink;

/**
 * The end-to-end load comparison: the same stock James 3.8.1 started twice from the shipped
 * configuration, once with the hardened pipeline and once with the {@link PlainPipeline} that has no
 * Relay Guard, each delivering to its own SMTP sink. After a warm-up, both get the same mails in
 * alternating rounds (plain, hardened, hardened, plain, …, so that a drift of the machine hits both
 * alike); the driver prints mails per second and SMTP latency for each, their ratio, and the exact
 * accounting of every mail. Exits 1 when the accounting is not exact.
 *
 * <pre>
 * java -cp … org.relayguard.it.load.LoadDriver [--mails 10000] [--connections 8] [--warmup 5000]
 *      [--rounds 4] [--mails-per-connection 100] [--mix our_tenant=70,forward=5,foreign_tenant=5,internet=20]
 *      [--enforce] [--seed 42]
 * </pre>
 */
public final class LoadDriver {
    private static final double TARGET_RATIO = 0.97;
    private static final Duration ROUND_TIMEOUT = Duration.ofMinutes(30);

    private final Map<String, String> options;

    private LoadDriver(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options.containsKey("help")) {
            System.out.println("options: --mails N (10000) --connections C (8) --warmup W (5000) --rounds R (4) "
                + "--mails-per-connection M (100) --mix " + Mix.DEFAULT + " --enforce --seed S (42)");
            return;
        }
        if (System.getProperty(JamesServer.SERVER_DIR_PROPERTY) == null) {
            System.setProperty(JamesServer.SERVER_DIR_PROPERTY, "james-server/target/james-server");
        }
        System.exit(new LoadDriver(options).run() ? 0 : 1);
    }

    private int option(String name, int defaultValue) {
        return Integer.parseInt(options.getOrDefault(name, String.valueOf(defaultValue)));
    }

    private boolean run() throws Exception {
        int mails = option("mails", 10_000);
        int connections = option("connections", 8);
        int warmup = option("warmup", 5_000);
        int rounds = option("rounds", 4);
        int perConnection = option("mails-per-connection", 100);
        long seed = option("seed", 42);
        boolean enforce = options.containsKey("enforce");
        Mix mix = Mix.parse(options.getOrDefault("mix", Mix.DEFAULT));

        System.out.printf(Locale.ROOT, "Relay Guard load: %d mails per pipeline (after %d warm-up) over %d concurrent SMTP clients, "
            + "%d mails per connection, %d rounds each, %s mode, mix %s%n", mails, warmup, connections, perConnection, rounds,
            enforce ? "enforce" : "audit", mix);
        System.out.println(machine());

        try (SmtpSink plainSink = SmtpSink.start();
             SmtpSink hardenedSink = SmtpSink.start();
             JamesServer plain = JamesServer.builder().deliverTo(plainSink.port()).enforce(enforce).prepare();
             JamesServer hardened = JamesServer.builder().deliverTo(hardenedSink.port()).enforce(enforce).prepare()) {
            PlainPipeline.apply(plain);
            plain.start();
            hardened.start();
            Gateway plainGateway = new Gateway("plain", Accounting.Pipeline.PLAIN, plain, plainSink, connections, perConnection, enforce);
            Gateway hardenedGateway = new Gateway("hardened", Accounting.Pipeline.HARDENED, hardened, hardenedSink, connections, perConnection, enforce);

            List<LoadRun.Mail> warmupMails = LoadRun.mails("warmup", mix, warmup, seed);
            plainGateway.send(warmupMails, false);
            hardenedGateway.send(warmupMails, false);

            List<Double> roundRatios = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                List<LoadRun.Mail> roundMails = LoadRun.mails("round" + round, mix, mails / rounds + (round < mails % rounds ? 1 : 0), seed + 1 + round);
                List<Gateway> order = round % 2 == 0 ? List.of(plainGateway, hardenedGateway) : List.of(hardenedGateway, plainGateway);
                for (Gateway gateway : order) {
                    gateway.send(roundMails, true);
                }
                roundRatios.add(hardenedGateway.lastRate / plainGateway.lastRate);
            }

            System.out.println();
            System.out.println("| Pipeline | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
            System.out.println(plainGateway.row());
            System.out.println(hardenedGateway.row());
            double ratio = hardenedGateway.endToEndRate() / plainGateway.endToEndRate();
            System.out.printf(Locale.ROOT, "%nRatio hardened / plain: %.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f× (target ≥ %.2f: %s)%n",
                ratio, hardenedGateway.smtpRate() / plainGateway.smtpRate(),
                hardenedGateway.percentile(0.50) / plainGateway.percentile(0.50),
                hardenedGateway.percentile(0.99) / plainGateway.percentile(0.99),
                TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "NOT met");
            // Each round's two runs are back to back: their ratio is less exposed to a machine shared with other work.
            System.out.printf(Locale.ROOT, "Ratio of each round's back-to-back runs: %s, median %.3f%n",
                roundRatios.stream().map(r -> String.format(Locale.ROOT, "%.3f", r)).collect(Collectors.joining(", ")), median(roundRatios));

            System.out.printf(Locale.ROOT, "Load average at the end: %.2f (this driver and both James use 2 cores' worth; more is other work)%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.println();
            boolean exact = true;
            for (Gateway gateway : List.of(plainGateway, hardenedGateway)) {
                Accounting accounting = gateway.account();
                System.out.println("Accounting " + gateway.name + ": " + accounting);
                exact &= accounting.isExact();
            }
            return exact;
        }
    }

    /** One of the two gateways, what was sent to it and what it measured. */
    private static final class Gateway {
        final String name;
        final Accounting.Pipeline pipeline;
        final JamesServer james;
        final SmtpSink sink;
        final LoadRun load;
        final boolean enforce;
        final List<LoadRun.Mail> sent = new ArrayList<>();
        final List<long[]> latencies = new ArrayList<>();
        int measuredMails;
        long smtpNanos;
        long endToEndNanos;
        double lastRate;

        Gateway(String name, Accounting.Pipeline pipeline, JamesServer james, SmtpSink sink, int connections, int perConnection, boolean enforce) {
            this.name = name;
            this.pipeline = pipeline;
            this.james = james;
            this.sink = sink;
            this.load = new LoadRun(james, sink, connections, perConnection);
            this.enforce = enforce;
        }

        void send(List<LoadRun.Mail> mails, boolean measured) throws InterruptedException {
            sent.addAll(mails);
            LoadRun.Result result = load.send(mails, Accounting.expectedRelayed(sent, pipeline, enforce), ROUND_TIMEOUT);
            System.out.printf(Locale.ROOT, "%-8s %-8s %6d mails: %7.1f mails/s end to end, %7.1f accepted/s, p50 %.1f ms, p99 %.1f ms%n",
                measured ? "measured" : "warm-up", name, result.mails, rate(result.mails, result.endToEndNanos), rate(result.mails, result.smtpNanos),
                LoadDriver.percentile(List.of(result.latencies), 0.50), LoadDriver.percentile(List.of(result.latencies), 0.99));
            lastRate = rate(result.mails, result.endToEndNanos);
            if (measured) {
                measuredMails += result.mails;
                smtpNanos += result.smtpNanos;
                endToEndNanos += result.endToEndNanos;
                latencies.add(result.latencies);
            }
        }

        double endToEndRate() {
            return rate(measuredMails, endToEndNanos);
        }

        double smtpRate() {
            return rate(measuredMails, smtpNanos);
        }

        double percentile(double p) {
            return LoadDriver.percentile(latencies, p);
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f |", name, measuredMails, endToEndRate(), smtpRate(), percentile(0.50), percentile(0.99));
        }

        Accounting account() {
            // Everything was relayed already; wait for the queues to be empty before reading.
            Outcomes outcomes = Outcomes.await(james, sink, Accounting.expectedRelayed(sent, pipeline, enforce), MailKind.ID_HEADER, Duration.ofMinutes(5));
            return Accounting.of(outcomes, sent, pipeline, enforce);
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

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i] + " (--help lists the options)");
            }
            String name = args[i].substring(2);
            boolean flag = name.equals("enforce") || name.equals("help");
            options.put(name, flag ? "true" : args[++i]);
        }
        return options;
    }
}
