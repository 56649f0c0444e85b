package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The decision log file as James wrote it, read back the way a log shipper would: a timestamp,
 * then {@code key=value} pairs, a value in double quotes when it has spaces (with {@code \"} and
 * {@code \\} escapes).
 */
public final class DecisionLog {
    private DecisionLog() {
    }

    /** Every line of the file, parsed; empty when James has not written the file. */
    public static List<Map<String, String>> read(Path file) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .filter(line -> !line.isBlank())
                .map(DecisionLog::parse)
                .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pairs of one line; the leading timestamp is kept under the key {@code time}. */
    static Map<String, String> parse(String line) {
        Map<String, String> pairs = new LinkedHashMap<>();
        int space = line.indexOf(' ');
        pairs.put("time", line.substring(0, space));
        int i = space + 1;
        while (i < line.length()) {
            int equals = line.indexOf('=', i);
            String key = line.substring(i, equals);
            i = equals + 1;
            StringBuilder value = new StringBuilder();
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (line.charAt(i) != '"') {
                    if (line.charAt(i) == '\\') {
                        i++;
                    }
                    value.append(line.charAt(i));
                    i++;
                }
                i++;
            } else {
                while (i < line.length() && line.charAt(i) != ' ') {
                    value.append(line.charAt(i));
                    i++;
                }
            }
            if (pairs.put(key, value.toString()) != null) {
                throw new IllegalStateException("key " + key + " twice in decision log line: " + line);
            }
            i++;
        }
        return pairs;
    }

    /** The keys of each line, in order: what every line must carry. */
    public static List<String> keys(Map<String, String> line) {
        return new ArrayList<>(line.keySet());
    }
}
