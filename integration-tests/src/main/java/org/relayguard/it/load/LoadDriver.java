package org.relayguard.it.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.relayguard.it.JamesServer;
import org.relayguard.it.Outcomes;
import org.relayguard.it.NextHops;

/**
 * The end-to-end load comparison, in one run: the shipped configuration on three gateways, each
 * delivering to its own two next hops —
 * <ul>
 * <li>{@code plain}: the Relay Guard server (durable queues) with the {@link PlainPipeline}, that
 *     has no Relay Guard: the baseline of what the rules cost;</li>
 * <li>{@code hardened}: the Relay Guard server with the shipped hardened profile, what run.sh starts;</li>
 * <li>{@code memory}: the hardened profile on James's stock memory server, which keeps its queues
 *     in memory: the baseline of what durability costs.</li>
 * </ul>
 * After a warm-up, all get the same mails in rounds whose order rotates (so that a drift of the
 * machine hits all alike); the driver prints mails per second and SMTP latency for each, the ratios
 * hardened / plain (target ≥ 0.97) and hardened / memory, and the exact accounting of every mail.
 * Exits 1 when the accounting is not exact.
 *
 * <pre>
 * java -cp … org.relayguard.it.load.LoadDriver [--mails 10000] [--connections 8] [--warmup 5000]
 *      [--rounds 4] [--mails-per-connection 100] [--mix our_tenant=70,forward=5,foreign_tenant=5,internet=20]
 *      [--enforce] [--seed 42] [--no-memory]
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
                + "--mails-per-connection M (100) --mix " + Mix.DEFAULT + " --enforce --seed S (42) --no-memory");
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
        boolean withMemory = !options.containsKey("no-memory");
        Mix mix = Mix.parse(options.getOrDefault("mix", Mix.DEFAULT));

        System.out.printf(Locale.ROOT, "Relay Guard load: %d mails per gateway (after %d warm-up) over %d concurrent SMTP clients, "
            + "%d mails per connection, %d rounds each, %s mode, mix %s%n", mails, warmup, connections, perConnection, rounds,
            enforce ? "enforce" : "audit", mix);
        System.out.println(machine());

        List<Gateway> gateways = new ArrayList<>();
        try {
            Gateway plain = new Gateway("plain", Accounting.Pipeline.PLAIN, JamesServer.Kind.RELAY_GUARD, connections, perConnection, enforce);
            gateways.add(plain);
            Gateway hardened = new Gateway("hardened", Accounting.Pipeline.HARDENED, JamesServer.Kind.RELAY_GUARD, connections, perConnection, enforce);
            gateways.add(hardened);
            Gateway memory = null;
            if (withMemory) {
                memory = new Gateway("memory", Accounting.Pipeline.HARDENED, JamesServer.Kind.STOCK_MEMORY, connections, perConnection, enforce);
                gateways.add(memory);
            }

            List<LoadRun.Mail> warmupMails = LoadRun.mails("warmup", mix, warmup, seed);
            for (Gateway gateway : gateways) {
                gateway.send(warmupMails, false);
            }

            List<Double> roundRatios = new ArrayList<>();
            List<Double> durabilityRatios = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                List<LoadRun.Mail> roundMails = LoadRun.mails("round" + round, mix, mails / rounds + (round < mails % rounds ? 1 : 0), seed + 1 + round);
                List<Gateway> order = new ArrayList<>(gateways);
                Collections.rotate(order, round);
                if (round % 2 == 1) {
                    Collections.reverse(order);
                }
                for (Gateway gateway : order) {
                    gateway.send(roundMails, true);
                }
                roundRatios.add(hardened.lastRate / plain.lastRate);
                if (memory != null) {
                    durabilityRatios.add(hardened.lastRate / memory.lastRate);
                }
            }

            System.out.println();
            System.out.println("| Gateway | Server | Pipeline | Mails | Mails/s end to end | Mails/s accepted (SMTP) | SMTP p50 ms | SMTP p99 ms |");
            System.out.println("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
            for (Gateway gateway : gateways) {
                System.out.println(gateway.row());
            }
            double ratio = hardened.endToEndRate() / plain.endToEndRate();
            System.out.printf(Locale.ROOT, "%nRatio hardened / plain (Relay Guard server): %.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f× (target ≥ %.2f: %s)%n",
                ratio, hardened.smtpRate() / plain.smtpRate(),
                hardened.percentile(0.50) / plain.percentile(0.50),
                hardened.percentile(0.99) / plain.percentile(0.99),
                TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "NOT met");
            // Each round's runs are back to back: their ratio is less exposed to a machine shared with other work.
            System.out.printf(Locale.ROOT, "Ratio of each round's back-to-back runs: %s, median %.3f%n", list(roundRatios), median(roundRatios));
            if (memory != null) {
                System.out.printf(Locale.ROOT, "Ratio durable / memory (hardened on the Relay Guard server / on James's memory server): "
                        + "%.3f end to end, %.3f accepted over SMTP; p50 latency %.2f×, p99 latency %.2f×; each round: %s, median %.3f%n",
                    hardened.endToEndRate() / memory.endToEndRate(), hardened.smtpRate() / memory.smtpRate(),
                    hardened.percentile(0.50) / memory.percentile(0.50), hardened.percentile(0.99) / memory.percentile(0.99),
                    list(durabilityRatios), median(durabilityRatios));
            }

            System.out.printf(Locale.ROOT, "Load average at the end: %.2f (this driver and the James under load use 2 cores' worth; more is other work)%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.println();
            boolean exact = true;
            for (Gateway gateway : gateways) {
                Accounting accounting = gateway.account();
                System.out.println("Accounting " + gateway.name + ": " + accounting);
                exact &= accounting.isExact();
            }
            return exact;
        } finally {
            for (Gateway gateway : gateways) {
                gateway.close();
            }
        }
    }

    private static String list(List<Double> ratios) {
        return ratios.stream().map(r -> String.format(Locale.ROOT, "%.3f", r)).collect(Collectors.joining(", "));
    }

    /** One of the gateways: its own James and its own next hops, what was sent to it and what it measured. */
    private static final class Gateway implements AutoCloseable {
        final String name;
        final Accounting.Pipeline pipeline;
        final JamesServer james;
        final NextHops hops;
        final LoadRun load;
        final boolean enforce;
        final List<LoadRun.Mail> sent = new ArrayList<>();
        final List<long[]> latencies = new ArrayList<>();
        int measuredMails;
        long smtpNanos;
        long endToEndNanos;
        double lastRate;

        Gateway(String name, Accounting.Pipeline pipeline, JamesServer.Kind kind, int connections, int perConnection, boolean enforce) throws IOException {
            this.name = name;
            this.pipeline = pipeline;
            this.hops = NextHops.start();
            this.james = JamesServer.builder().kind(kind).nextHops(hops).enforce(enforce).prepare();
            if (pipeline == Accounting.Pipeline.PLAIN) {
                PlainPipeline.apply(james);
            }
            james.start();
            this.load = new LoadRun(james, hops, connections, perConnection);
            this.enforce = enforce;
        }

        @Override
        public void close() {
            james.close();
            hops.close();
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
            return String.format(Locale.ROOT, "| %s | %s | %s | %d | %.1f | %.1f | %.1f | %.1f |", name,
                james.kind() == JamesServer.Kind.RELAY_GUARD ? "Relay Guard (durable)" : "James memory", pipeline.name().toLowerCase(Locale.ROOT),
                measuredMails, endToEndRate(), smtpRate(), percentile(0.50), percentile(0.99));
        }

        Accounting account() {
            // Everything was relayed already; wait for the queues to be empty before reading.
            Outcomes outcomes = Outcomes.await(james, hops, Accounting.expectedRelayed(sent, pipeline, enforce), MailKind.ID_HEADER, Duration.ofMinutes(5));
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
            boolean flag = name.equals("enforce") || name.equals("help") || name.equals("no-memory");
            options.put(name, flag ? "true" : args[++i]);
        }
        return options;
    }
}
