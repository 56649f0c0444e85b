package org.relayguard.tools.load;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording ({@code settings=profile}) says the CPU went: the CPU samples
 * ({@code jdk.ExecutionSample}) as shares, "self" (the frame that ran) and "total" (the frame was
 * on the stack), per code group (ours, James, javax.mail, Netty, Artemis, TLS, logging, the rest
 * of the JDK), per method and per thread pool; the sampled allocation ({@code jdk.ObjectAllocationSample})
 * per class; and the garbage collector's pauses. Shares, not times: they hold on a shared machine.
 * {@code ./perf.sh peer --profile DIR} prints it for the gateway; {@code ./perf.sh jfr FILE} for any recording.
 */
public final class JfrSummary {
    /** Code groups by package prefix, the first that matches wins; "JDK" is what is left of java.*, jdk.*, sun.* … */
    private static final String[][] GROUPS = {
        {"org.relayguard.", "ours (org.relayguard)"},
        {"org.apache.james.", "James"},
        {"javax.mail.", "javax.mail"}, {"com.sun.mail.", "javax.mail"},
        {"io.netty.", "Netty"},
        {"org.apache.activemq.", "Artemis (queue)"},
        {"sun.security.", "JDK TLS/crypto"}, {"javax.net.ssl.", "JDK TLS/crypto"}, {"com.sun.crypto.", "JDK TLS/crypto"},
        {"javax.crypto.", "JDK TLS/crypto"}, {"java.security.", "JDK TLS/crypto"},
        {"ch.qos.logback.", "logging"}, {"org.slf4j.", "logging"},
        {"java.", "JDK"}, {"javax.", "JDK"}, {"jdk.", "JDK"}, {"sun.", "JDK"}, {"com.sun.", "JDK"},
    };

    private final Map<String, Integer> selfByGroup = new HashMap<>();
    private final Map<String, Integer> byCaller = new HashMap<>();
    private final Map<String, Integer> oursTotal = new HashMap<>();
    private final Map<String, Long> allocationBySite = new HashMap<>();
    private final Map<String, Integer> totalByGroup = new HashMap<>();
    private final Map<String, Integer> selfByMethod = new HashMap<>();
    private final Map<String, Integer> totalByMethod = new HashMap<>();
    private final Map<String, Integer> selfByPackage = new HashMap<>();
    private final Map<String, Integer> byThread = new HashMap<>();
    private final Map<String, Long> allocationByClass = new HashMap<>();
    private int samples;
    private long allocated;
    private int collections;
    private long pauseNanos;

    /** Substrings of a frame ("Class.method", "package.") whose share of the samples, on the stack, is asked for. */
    private final Map<String, Integer> focus = new LinkedHashMap<>();

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: JfrSummary RECORDING.jfr [TOP (25) [FRAME...]]: FRAME, a part of Class.method, "
                + "adds the share of the samples with such a frame on the stack");
            System.exit(2);
        }
        List<String> frames = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();
        System.out.print(of(Path.of(args[0]), frames).format(args.length > 1 ? Integer.parseInt(args[1]) : 25));
    }

    /** Reads the recording. */
    public static JfrSummary of(Path recording) throws IOException {
        return of(recording, List.of());
    }

    /** Reads the recording; with the share of the samples that have a frame containing each of {@code frames} on the stack. */
    public static JfrSummary of(Path recording, List<String> frames) throws IOException {
        JfrSummary summary = new JfrSummary();
        frames.forEach(frame -> summary.focus.put(frame, 0));
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                summary.add(file.readEvent());
            }
        }
        return summary;
    }

    private void add(RecordedEvent event) {
        switch (event.getEventType().getName()) {
            case "jdk.ExecutionSample":
                addSample(event);
                break;
            case "jdk.ObjectAllocationSample":
                RecordedClass type = event.getClass("objectClass");
                long weight = event.getLong("weight");
                allocated += weight;
                String name = type == null ? "?" : type.getName();
                allocationByClass.merge(name, weight, Long::sum);
                allocationBySite.merge(name + " in " + caller(event.getStackTrace()), weight, Long::sum);
                break;
            case "jdk.GarbageCollection":
                collections++;
                pauseNanos += event.getDuration("sumOfPauses").toNanos();
                break;
            default:
                break;
        }
    }

    private void addSample(RecordedEvent event) {
        RecordedStackTrace stack = event.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) {
            return;
        }
        samples++;
        RecordedThread thread = event.getThread("sampledThread");
        byThread.merge(threadPool(thread == null ? null : thread.getJavaName()), 1, Integer::sum);
        List<RecordedFrame> frames = stack.getFrames();
        String top = method(frames.get(0));
        selfByMethod.merge(top, 1, Integer::sum);
        selfByGroup.merge(group(top), 1, Integer::sum);
        selfByPackage.merge(packageOf(top), 1, Integer::sum);
        String caller = caller(stack);
        byCaller.merge(group(caller), 1, Integer::sum);
        Set<String> methods = new HashSet<>();
        Set<String> groups = new HashSet<>();
        for (String frame : focus.keySet()) {
            if (frames.stream().anyMatch(f -> method(f).contains(frame))) {
                focus.merge(frame, 1, Integer::sum);
            }
        }
        for (RecordedFrame frame : frames) {
            String method = method(frame);
            if (methods.add(method)) {
                totalByMethod.merge(method, 1, Integer::sum);
                if (method.startsWith("org.relayguard.")) {
                    oursTotal.merge(method, 1, Integer::sum);
                }
            }
            if (groups.add(group(method))) {
                totalByGroup.merge(group(method), 1, Integer::sum);
            }
        }
    }

    private static String method(RecordedFrame frame) {
        RecordedMethod method = frame.getMethod();
        return method == null ? "?" : method.getType().getName() + "." + method.getName();
    }

    /** The innermost frame outside the JDK's general code and unnamed libraries: whose work the sample was. */
    private static String caller(RecordedStackTrace stack) {
        if (stack == null) {
            return "?";
        }
        for (RecordedFrame frame : stack.getFrames()) {
            String method = method(frame);
            String group = group(method);
            if (!group.equals("JDK") && !group.equals("other libraries")) {
                return method;
            }
        }
        return stack.getFrames().isEmpty() ? "?" : method(stack.getFrames().get(0));
    }

    static String group(String method) {
        for (String[] group : GROUPS) {
            if (method.startsWith(group[0])) {
                return group[1];
            }
        }
        return "other libraries";
    }

    private static String packageOf(String method) {
        String type = method.substring(0, Math.max(0, method.lastIndexOf('.')));
        int end = type.lastIndexOf('.');
        return end < 0 ? type : type.substring(0, end);
    }

    /**
     * A thread's pool: its name without numbers ("spooler-12" and "spooler-3" are one pool; "C2 CompilerThread0"
     * keeps its C2, "Thread-7 (…Impl$5@3faa1f2)" loses its object's hash).
     */
    static String threadPool(String name) {
        return name == null ? "?" : name.replaceAll("@[0-9a-f]+", "@N").replaceAll("(?<![A-Za-z])[0-9]+", "N");
    }

    /** The summary as text, each table its {@code top} largest rows. */
    public String format(int top) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%d CPU samples (Java threads; the GC's own threads are not sampled: %d collections, %.0f ms of pauses)%n",
            samples, collections, pauseNanos / 1e6));
        if (!focus.isEmpty()) {
            out.append(String.format("%nSamples with the frame on the stack%n"));
            focus.forEach((frame, count) -> out.append(String.format(Locale.ROOT, "  %5.1f%%  %s%n", share(count), frame)));
        }
        table(out, "Code group: self = ran there, total = on the stack", selfByGroup, totalByGroup, top);
        table(out, "Code group, each sample counted for its innermost frame outside the JDK's general code and other libraries "
            + "(java.util under a mailet of ours is ours)", byCaller, null, top);
        table(out, "Package (self)", selfByPackage, null, top);
        table(out, "Method (self)", selfByMethod, totalByMethod, top);
        table(out, "Method (total)", totalByMethod, selfByMethod, top);
        table(out, "Ours (org.relayguard), total", oursTotal, selfByMethod, top);
        table(out, "Thread pool (samples)", byThread, null, top);
        out.append(String.format(Locale.ROOT, "%nAllocation by class (sampled, %.0f MB in all)%n", allocated / 1e6));
        allocationByClass.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
            .forEach(e -> out.append(String.format(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, allocated), e.getKey())));
        out.append(String.format(Locale.ROOT, "%nAllocation by class and the innermost frame outside the JDK's general code%n"));
        allocationBySite.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
            .forEach(e -> out.append(String.format(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, allocated), e.getKey())));
        return out.toString();
    }

    private void table(StringBuilder out, String title, Map<String, Integer> first, Map<String, Integer> second, int top) {
        out.append(String.format("%n%s%n", title));
        List<Map.Entry<String, Integer>> rows = first.entrySet().stream()
            .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top).collect(Collectors.toCollection(ArrayList::new));
        for (Map.Entry<String, Integer> row : rows) {
            out.append(String.format(Locale.ROOT, "  %5.1f%%", share(row.getValue())));
            if (second != null) {
                out.append(String.format(Locale.ROOT, "  %5.1f%%", share(second.getOrDefault(row.getKey(), 0))));
            }
            out.append("  ").append(row.getKey()).append(System.lineSeparator());
        }
    }

    private double share(int count) {
        return 100.0 * count / Math.max(1, samples);
    }
}
