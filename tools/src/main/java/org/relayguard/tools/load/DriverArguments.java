package org.relayguard.tools.load;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** What the load drivers ({@code ./perf.sh load}, {@code cluster}, {@code peer}) share on their command line and in their output. */
final class DriverArguments {
    private DriverArguments() {
    }

    /**
     * {@code --name value} pairs, and {@code --flag} alone for the names in {@code flags}
     * ({@code --help} is always one), as a map of name to value ({@code "true"} for a flag).
     */
    static Map<String, String> parse(String[] args, String... flags) {
        Set<String> flagNames = Set.of(flags);
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i] + " (--help lists the options)");
            }
            String name = args[i].substring(2);
            boolean flag = name.equals("help") || flagNames.contains(name);
            if (!flag && i + 1 == args.length) {
                throw new IllegalArgumentException("--" + name + " needs a value (--help lists the options)");
            }
            options.put(name, flag ? "true" : args[++i]);
        }
        return options;
    }

    /** Ratios as the drivers print them: three decimals, comma-separated. */
    static String ratios(List<Double> ratios) {
        return ratios.stream().map(r -> String.format(Locale.ROOT, "%.3f", r)).collect(Collectors.joining(", "));
    }
}
