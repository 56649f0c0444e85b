package org.relayguard.tools.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The two ways to start James on a server root: through the distribution's {@code bin/relayguard}
 * as an operator or a service manager does, or its JVM directly with James's own options (and,
 * for a resolv.conf of its own, in a mount namespace of its own).
 */
final class JamesCommand {
    private JamesCommand() {
    }

    /**
     * {@code bin/relayguard} behind {@code launcher} (empty, or e.g. {@code setpriv …}): the JVM options
     * through {@code JAVA_OPTS}, the server root through {@code RELAYGUARD_ROOT}.
     */
    static ProcessBuilder viaDistribution(Path serverDir, Path root, List<String> launcher, List<String> jvmOptions,
                                          Map<String, String> environment) {
        List<String> command = new ArrayList<>(launcher);
        command.add(serverDir.resolve("bin/relayguard").toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        builder.environment().putAll(environment);
        builder.environment().put("RELAYGUARD_ROOT", root.toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("JAVA_OPTS", String.join(" ", jvmOptions));
        return builder;
    }

    /**
     * James's JVM itself, on the server's {@code lib/}; with {@code resolvConf}, under {@code unshare}
     * where that file and {@code hosts} are bind-mounted over the system's.
     */
    static ProcessBuilder direct(Path serverDir, JamesServer.Kind kind, Path root, Path resolvConf, Path hosts,
                                 List<String> jvmOptions, Map<String, String> environment) {
        List<String> command = new ArrayList<>();
        if (resolvConf != null) {
            // unshare and sh exec: the process started is James's JVM itself, which stop() and kill() signal.
            command.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" /etc/resolv.conf && mount --bind \"$1\" /etc/hosts && shift && exec \"$@\"",
                resolvConf.toString(), hosts.toString()));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dworking.directory=" + root);
        command.add("-Dlogback.configurationFile=" + root.resolve("conf/logback.xml"));
        command.add("-Djames.exit.on.startup.error=true");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(serverDir.resolve("lib") + "/*");
        command.add(kind.mainClass);
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        builder.environment().putAll(environment);
        return builder;
    }
}
