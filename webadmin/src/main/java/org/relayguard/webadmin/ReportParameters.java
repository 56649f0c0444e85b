package org.relayguard.webadmin;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.relayguard.core.mail.HeaderValues;

import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;

/**
 * The query parameters of the report, checked strictly: a misspelt parameter (say {@code whatif})
 * would otherwise be ignored silently and the operator would read a what-if that never ran.
 * Every error is an {@link IllegalArgumentException} whose message the route returns with a 400.
 */
final class ReportParameters {
    static final String LIMIT = "limit";
    static final String SAMPLE_KEYS = "sampleKeys";
    static final String WHAT_IF = "whatIf";
    static final Set<String> KNOWN = ImmutableSet.of(LIMIT, SAMPLE_KEYS, WHAT_IF);

    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 1000;
    static final int DEFAULT_SAMPLE_KEYS = 3;
    static final int MAX_SAMPLE_KEYS = 10;
    static final int MAX_CANDIDATES = 100;

    static ReportParameters parse(Map<String, String[]> query) {
        Set<String> unknown = Sets.difference(query.keySet(), KNOWN);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown query parameter(s) " + Joiner.on(", ").join(ImmutableSet.copyOf(unknown).asList())
                + "; known: " + Joiner.on(", ").join(KNOWN));
        }
        return new ReportParameters(
            integer(query, LIMIT, 1, MAX_LIMIT).orElse(DEFAULT_LIMIT),
            integer(query, SAMPLE_KEYS, 0, MAX_SAMPLE_KEYS).orElse(DEFAULT_SAMPLE_KEYS),
            whatIf(query));
    }

    private static Optional<Integer> integer(Map<String, String[]> query, String name, int min, int max) {
        String[] values = query.get(name);
        if (values == null) {
            return Optional.empty();
        }
        if (values.length != 1) {
            throw new IllegalArgumentException("'" + name + "' must be given once");
        }
        try {
            int value = Integer.parseInt(values[0].trim());
            if (value < min || value > max) {
                throw new IllegalArgumentException("'" + name + "' must be between " + min + " and " + max + ", got " + value);
            }
            return Optional.of(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + name + "' must be a whole number, got '" + values[0] + "'");
        }
    }

    /** Comma-separated, the parameter may be repeated; values are normalised as the matcher does. */
    private static Optional<List<String>> whatIf(Map<String, String[]> query) {
        String[] values = query.get(WHAT_IF);
        if (values == null) {
            return Optional.empty();
        }
        ImmutableSet.Builder<String> candidates = ImmutableSet.builder();
        for (String value : values) {
            for (String entry : value.split(",", -1)) {
                String candidate = HeaderValues.normalise(entry);
                if (candidate.isEmpty()) {
                    throw new IllegalArgumentException("'" + WHAT_IF + "' has an empty value: give comma-separated X-OriginatorOrg values");
                }
                candidates.add(candidate);
            }
        }
        List<String> list = candidates.build().asList();
        if (list.size() > MAX_CANDIDATES) {
            throw new IllegalArgumentException("'" + WHAT_IF + "' takes at most " + MAX_CANDIDATES + " values");
        }
        return Optional.of(list);
    }

    private final int limit;
    private final int sampleKeys;
    private final Optional<List<String>> whatIf;

    ReportParameters(int limit, int sampleKeys, Optional<List<String>> whatIf) {
        this.limit = limit;
        this.sampleKeys = sampleKeys;
        this.whatIf = whatIf.map(ImmutableList::copyOf);
    }

    /** Groups listed per dimension. */
    int limit() {
        return limit;
    }

    /** Keys listed per group. */
    int sampleKeys() {
        return sampleKeys;
    }

    Optional<List<String>> whatIf() {
        return whatIf;
    }
}
