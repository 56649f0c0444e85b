package org.relayguard.webadmin.dto;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.relayguard.core.mail.HeaderValues;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;

/**
 * The query parameters of the report, checked strictly: a misspelt parameter (say {@code whatif})
 * would otherwise be ignored silently and the operator would read a what-if that never ran.
 * Every error is an {@link IllegalArgumentException} whose message the route returns with a 400.
 */
public final class ReportParameters {
    static final String LIMIT = "limit";
    static final String SAMPLE_KEYS = "sampleKeys";
    static final String WHAT_IF = "whatIf";
    static final Set<String> KNOWN = ImmutableSet.of(LIMIT, SAMPLE_KEYS, WHAT_IF);

    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 1000;
    public static final int DEFAULT_SAMPLE_KEYS = 3;
    public static final int MAX_SAMPLE_KEYS = 10;
    public static final int MAX_CANDIDATES = 100;

    public static ReportParameters parse(Map<String, String[]> query) {
        QueryParameters.refuseUnknown(query, KNOWN);
        return new ReportParameters(
            QueryParameters.integer(query, LIMIT, 1, MAX_LIMIT).orElse(DEFAULT_LIMIT),
            QueryParameters.integer(query, SAMPLE_KEYS, 0, MAX_SAMPLE_KEYS).orElse(DEFAULT_SAMPLE_KEYS),
            whatIf(query));
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

    public ReportParameters(int limit, int sampleKeys, Optional<List<String>> whatIf) {
        this.limit = limit;
        this.sampleKeys = sampleKeys;
        this.whatIf = whatIf.map(ImmutableList::copyOf);
    }

    /** Groups listed per dimension. */
    public int limit() {
        return limit;
    }

    /** Keys listed per group. */
    public int sampleKeys() {
        return sampleKeys;
    }

    public Optional<List<String>> whatIf() {
        return whatIf;
    }
}
