package org.relayguard.core.dns;

import java.util.List;
import java.util.Optional;

import com.google.common.collect.ImmutableList;

/**
 * One DNS suffix of {@code SenderHostnameEndsWith}: {@code .example.com} is strictly below the
 * domain, {@code example.com} is the domain or below it.
 */
public final class HostnameSuffix {
    public static Optional<HostnameSuffix> parse(String entry) {
        boolean strictlyBelow = entry.startsWith(".");
        String domain = strictlyBelow ? entry.substring(1) : entry;
        if (domain.endsWith(".")) {
            // "example.com." is a fully qualified way to write the same suffix; a second dot is an empty label.
            domain = domain.substring(0, domain.length() - 1);
        }
        if (domain.endsWith(".")) {
            return Optional.empty();
        }
        return DnsNames.labels(domain).map(labels -> new HostnameSuffix(labels, strictlyBelow));
    }

    private final List<String> labels;
    private final boolean strictlyBelow;

    private HostnameSuffix(List<String> labels, boolean strictlyBelow) {
        this.labels = ImmutableList.copyOf(labels);
        this.strictlyBelow = strictlyBelow;
    }

    /** The canonical domain of the suffix, without its leading dot. */
    public String domain() {
        return String.join(".", labels);
    }

    public boolean strictlyBelow() {
        return strictlyBelow;
    }

    @Override
    public String toString() {
        return (strictlyBelow ? "." : "") + String.join(".", labels);
    }
}
