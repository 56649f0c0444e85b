package org.relayguard.tools.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Running the command-line tools of the real servers the tools start (PostgreSQL, HAProxy, Postfix)
 * to their end, each command's output kept for its failure.
 */
public final class Commands {
    private Commands() {
    }

    /** Whether this JVM runs as root, where PostgreSQL's tools refuse to run. */
    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command as the given system user when this JVM is root ({@code runuser}), as it is otherwise. */
    public static List<String> as(String user, List<String> command) {
        if (!isRoot()) {
            return command;
        }
        List<String> asUser = new ArrayList<>(List.of("runuser", "-u", user, "--"));
        asUser.addAll(command);
        return asUser;
    }

    /** Runs a command to its end; fails with its output when it fails. Returns its output. */
    public static String run(List<String> command, Map<String, String> environment, long timeoutSeconds) throws IOException {
        Path output = Files.createTempFile("relayguard-cmd-", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean ended = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (!ended) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not end within " + timeoutSeconds + " s:\n" + text);
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "):\n" + text);
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** An executable found in the directories given, first match wins. */
    public static Optional<Path> find(String name, Stream<Path> directories) {
        return directories.map(directory -> directory.resolve(name))
            .filter(Files::isExecutable)
            .findFirst();
    }
}
