package org.relayguard.tools.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The CPU time of each thread of a process as Linux counts it ({@code /proc/PID/task/TID/stat},
 * user + system), summed per thread pool: the JVM's own threads too (garbage collector, JIT
 * compilers), which JFR's CPU samples leave out. Two snapshots give a run's shares per pool.
 */
final class ThreadCpu {
    private ThreadCpu() {
    }

    /** Clock ticks used so far per thread pool (the thread's name, as Linux keeps it, without numbers). */
    static Map<String, Long> snapshot(long pid) {
        Map<String, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.UTF_8);
                    // pid (comm) state ... : the name may hold spaces and parentheses, the fields follow the last ')'.
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long used = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    ticks.merge(JfrSummary.threadPool(name), used, Long::sum);
                } catch (IOException | RuntimeException e) {
                    // The thread ended meanwhile.
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    /** The CPU used between two snapshots, per pool, largest share first. */
    static String shares(Map<String, Long> before, Map<String, Long> after, int top) {
        Map<String, Long> used = new HashMap<>();
        after.forEach((pool, ticks) -> used.put(pool, ticks - before.getOrDefault(pool, 0L)));
        long total = Math.max(1, used.values().stream().mapToLong(Long::longValue).sum());
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
            "%nCPU per thread pool, from Linux (/proc; GC and JIT threads included; names cut at 15 characters)%n"));
        used.entrySet().stream().filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
            .forEach(e -> out.append(String.format(Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey())));
        return out.toString();
    }
}
