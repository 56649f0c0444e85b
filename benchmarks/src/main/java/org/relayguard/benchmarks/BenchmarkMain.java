package org.relayguard.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs every benchmark with JMH's GC profiler and prints one table: time per mail, the ratio to
 * James's {@code HasHeader=X-OriginatorOrg=contoso.com} on the same mail, and bytes allocated per
 * mail. JMH options pass through ({@code -wi 1 -i 2} for a quick look, {@code -h} for all of them).
 */
public final class BenchmarkMain {
    private static final String BASELINE = "HasHeaderBenchmark.hasHeaderNameAndValue";
    private static final List<String> JMH_INFO_OPTIONS = List.of("-h", "-l", "-lp", "-lprof", "-lrf");

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).stream().anyMatch(JMH_INFO_OPTIONS::contains)) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Collection<RunResult> results = new Runner(new OptionsBuilder()
            .parent(new CommandLineOptions(args))
            .addProfiler(GCProfiler.class)
            .build())
            .run();
        System.out.println();
        System.out.println(machine());
        System.out.printf(Locale.ROOT, "Load average before %.2f, after %.2f (one benchmark thread: above 1 is other work)%n",
            loadBefore, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println();
        System.out.println(table(results));
    }

    /** The machine the numbers come from, as the README quotes it. */
    static String machine() {
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalPhysicalMemorySize();
        return String.format(Locale.ROOT, "Machine: %s, %d cores, %.0f GiB; %s %s; %s %s",
            cpuModel(), Runtime.getRuntime().availableProcessors(), memory / (1024.0 * 1024 * 1024),
            System.getProperty("java.vm.name"), System.getProperty("java.version"),
            System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name"))
                .map(line -> line.substring(line.indexOf(':') + 1).trim())
                .findFirst()
                .orElse("unknown CPU");
        } catch (IOException | UncheckedIOException e) {
            return "unknown CPU";
        }
    }

    static String table(Collection<RunResult> results) {
        Optional<Double> baseline = results.stream()
            .filter(result -> shortName(result).equals(BASELINE))
            .map(result -> result.getPrimaryResult().getScore())
            .findFirst();
        List<RunResult> sorted = results.stream()
            .sorted(Comparator.comparing(BenchmarkMain::shortName).thenComparing(BenchmarkMain::entries))
            .collect(Collectors.toList());
        StringBuilder table = new StringBuilder()
            .append("| Benchmark | entries | ns/mail | ± (99.9%) | × HasHeader | B/mail |\n")
            .append("| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (RunResult result : sorted) {
            Result<?> primary = result.getPrimaryResult();
            table.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %s | %s |%n",
                shortName(result),
                Optional.ofNullable(result.getParams().getParam("entries")).orElse("–"),
                primary.getScore(),
                primary.getScoreError(),
                baseline.map(base -> String.format(Locale.ROOT, "%.2f", primary.getScore() / base)).orElse("–"),
                allocation(result.getSecondaryResults()).map(bytes -> String.format(Locale.ROOT, "%.0f", bytes)).orElse("–")));
        }
        return table.toString();
    }

    private static Optional<Double> allocation(Map<String, Result> secondary) {
        return secondary.entrySet().stream()
            .filter(entry -> entry.getKey().endsWith("gc.alloc.rate.norm"))
            .map(entry -> entry.getValue().getScore())
            .findFirst();
    }

    private static String shortName(RunResult result) {
        String benchmark = result.getParams().getBenchmark();
        int method = benchmark.lastIndexOf('.');
        int type = benchmark.lastIndexOf('.', method - 1);
        return benchmark.substring(type + 1);
    }

    private static int entries(RunResult result) {
        return Optional.ofNullable(result.getParams().getParam("entries")).map(Integer::parseInt).orElse(0);
    }
}
