package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reading a server's log from where one start began: logs are appended to and rotated. */
final class LogText {
    private LogText() {
    }

    /** The file's text from byte {@code start}; a rotated log that started over is read from its beginning. */
    static String from(Path file, long start) {
        try {
            if (file == null || !Files.exists(file)) {
                return "";
            }
            byte[] bytes = Files.readAllBytes(file);
            int from = start <= bytes.length ? (int) start : 0;
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a file's next start begins: its size now, 0 when it does not exist. */
    static long end(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }

    /** The last {@code lines} lines of a text. */
    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", Arrays.asList(all).subList(from, all.length));
    }
}
