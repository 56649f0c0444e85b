package org.relayguard.webadmin.access;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;

import com.google.common.annotations.VisibleForTesting;
import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableSet;

/**
 * The {@code Host} values webadmin answers: {@value #PARAMETER} in {@code webadmin.properties}, a
 * comma-separated list of {@code name} or {@code name:port} ({@code [v6]:port}); a name without a
 * port means webadmin's own port. Empty or absent: the listener's address and {@code localhost},
 * with webadmin's port.
 *
 * <p>Why: a web page in the operator's browser can make its own name resolve to 127.0.0.1 (DNS
 * rebinding) and then call webadmin as a same-origin page; the browser still sends the page's
 * name in {@code Host}. A request without {@code Host} is allowed: every browser sends one, and
 * HTTP/1.0 health checks (HAProxy's) do not.</p>
 */
public final class AllowedHosts {
    public static final String PARAMETER = "relayguard.webadmin.allowedHosts";

    private static final Pattern ENTRY = Pattern.compile("(\\[[0-9a-f:.]+]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:([0-9]{1,5}))?");
    private static final Set<String> ANY_ADDRESS = ImmutableSet.of("0.0.0.0", "::", "[::]");
    private static final int HTTP_PORT = 80;

    private final ImmutableSet<String> hosts;

    private AllowedHosts(ImmutableSet<String> hosts) {
        this.hosts = hosts;
    }

    public static AllowedHosts fromWebAdminProperties(Configuration webadmin, String listenerHost, int port) throws ConfigurationException {
        ImmutableSet.Builder<String> hosts = ImmutableSet.builder();
        for (String value : webadmin.getStringArray(PARAMETER)) {
            for (String entry : Splitter.on(',').trimResults().omitEmptyStrings().split(value)) {
                hosts.add(parse(entry, port)
                    .orElseThrow(() -> new ConfigurationException("Relay Guard webadmin: " + PARAMETER
                        + " must list host or host:port values, not '" + entry + "'")));
            }
        }
        ImmutableSet<String> configured = hosts.build();
        if (!configured.isEmpty()) {
            return new AllowedHosts(configured);
        }
        ImmutableSet.Builder<String> defaults = ImmutableSet.<String>builder().add("localhost:" + port);
        if (!ANY_ADDRESS.contains(listenerHost)) {
            defaults.add(bracketed(listenerHost.toLowerCase(Locale.ROOT)) + ":" + port);
        }
        return new AllowedHosts(defaults.build());
    }

    /** Whether a request's {@code Host} header (null when absent) is one webadmin answers. */
    public boolean allows(String hostHeader) {
        if (hostHeader == null) {
            return true;
        }
        return parse(hostHeader.trim(), HTTP_PORT)
            .map(hosts::contains)
            .orElse(false);
    }

    @VisibleForTesting
    ImmutableSet<String> hosts() {
        return hosts;
    }

    private static Optional<String> parse(String value, int defaultPort) {
        Matcher matcher = ENTRY.matcher(value.toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            return Optional.empty();
        }
        int port = matcher.group(4) == null ? defaultPort : Integer.parseInt(matcher.group(4));
        if (port < 1 || port > 65535) {
            return Optional.empty();
        }
        return Optional.of(matcher.group(1) + ":" + port);
    }

    private static String bracketed(String address) {
        return address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
    }
}
