package org.relayguard.server.startup;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

import javax.inject.Inject;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.lifecycle.api.StartUpCheck;
import org.apache.james.server.core.configuration.ConfigurationProvider;

import com.sun.management.UnixOperatingSystemMXBean;

/**
 * Before the SMTP listeners start: the process may open enough files for the connections the
 * listeners accept, plus {@value #RESERVE} for James itself (its jars, the queue journal, the
 * repositories, delivery connections). Every SMTP connection holds a file descriptor; once the
 * process has none left, James cannot accept anyone (Netty retries {@code accept} a second later,
 * which made every mail take a second while 800 idle connections were open) nor write its queue.
 *
 * <p>The connections are those of the handler {@code org.relayguard.smtp.ConnectionLimits}
 * ({@code maxConnections}) of each enabled listener. A listener with that handler and no limit
 * ({@code 0}) fails the check; a listener without the handler is not counted (a James operator who
 * removed it owns the limit). The message names the setting and the remedy ({@code ulimit -n},
 * systemd's {@code LimitNOFILE}).</p>
 */
public class FileDescriptorCheck implements StartUpCheck {
    static final String NAME = "smtpserver.xml connections and file descriptors";
    static final long RESERVE = 1024;
    private static final String COMPONENT = "smtpserver";
    private static final String HANDLER = "org.relayguard.smtp.ConnectionLimits";

    private final ConfigurationProvider configurationProvider;

    @Inject
    public FileDescriptorCheck(ConfigurationProvider configurationProvider) {
        this.configurationProvider = configurationProvider;
    }

    @Override
    public String checkName() {
        return NAME;
    }

    @Override
    public CheckResult check() {
        List<String> problems = new ArrayList<>();
        long connections = 0;
        try {
            for (HierarchicalConfiguration<ImmutableNode> listener : configurationProvider.getConfiguration(COMPONENT).configurationsAt(COMPONENT)) {
                if (!listener.getBoolean("[@enabled]", true)) {
                    continue;
                }
                String name = listener.getString("jmxName", COMPONENT);
                for (HierarchicalConfiguration<ImmutableNode> handler : listener.configurationsAt("handlerchain.handler")) {
                    if (HANDLER.equals(handler.getString("[@class]", null))) {
                        long limit = parse(handler.getString("maxConnections", "0"));
                        if (limit <= 0) {
                            problems.add("listener " + name + ": ConnectionLimits maxConnections must be a positive number (RELAYGUARD_SMTP_MAX_CONNECTIONS), got '"
                                + handler.getString("maxConnections", "") + "'");
                        }
                        connections += Math.max(limit, 0);
                    }
                }
            }
        } catch (ConfigurationException e) {
            problems.add("smtpserver.xml: " + e.getMessage());
        }
        OptionalLong available = maxFileDescriptors();
        if (problems.isEmpty() && available.isPresent() && available.getAsLong() < connections + RESERVE) {
            problems.add("the listeners accept " + connections + " connections (maxConnections, RELAYGUARD_SMTP_MAX_CONNECTIONS) but this process may open only "
                + available.getAsLong() + " files, and James needs about " + RESERVE + " more: raise the limit (ulimit -n " + (connections + RESERVE)
                + ", systemd LimitNOFILE=) or lower maxConnections");
        }
        return CheckResult.builder()
            .checkName(NAME)
            .resultType(problems.isEmpty() ? ResultType.GOOD : ResultType.BAD)
            .description(problems.isEmpty()
                ? connections + " connections at most, " + available.stream().mapToObj(Long::toString).findFirst().orElse("unknown") + " file descriptors"
                : String.join("; ", problems))
            .build();
    }

    private static long parse(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Empty where the JVM does not tell (not a Unix system). */
    static OptionalLong maxFileDescriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean) {
            return OptionalLong.of(((UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount());
        }
        return OptionalLong.empty();
    }
}
