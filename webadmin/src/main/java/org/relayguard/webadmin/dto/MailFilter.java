package org.relayguard.webadmin.dto;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;

/**
 * The query of {@code GET /relayguard/quarantine/:encodedPath/mails}, checked as strictly as the
 * report's: a misspelt filter would otherwise list every mail as if it matched.
 *
 * <p>A text filter matches a mail whose value contains it, ignoring case; {@code -} matches a mail
 * without that value (no {@code X-OriginatorOrg}, no tenant identified, the null sender).
 * {@code since} and {@code until} are instants ({@code 2026-05-01T00:00:00Z}), since included.</p>
 */
public final class MailFilter {
    public static final String ORIGINATOR_ORG = "originatorOrg";
    public static final String SENDER_DOMAIN = "senderDomain";
    public static final String RULE = "rule";
    public static final String CONDITION = "condition";
    public static final String TENANT = "tenant";
    static final String SINCE = "since";
    static final String UNTIL = "until";
    static final String LIMIT = "limit";
    static final String ABSENT = "-";
    static final List<String> TEXT_FILTERS = ImmutableList.of(ORIGINATOR_ORG, SENDER_DOMAIN, RULE, CONDITION, TENANT);
    static final Set<String> KNOWN = ImmutableSet.<String>builder().addAll(TEXT_FILTERS).add(SINCE, UNTIL, LIMIT).build();
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    public static MailFilter parse(Map<String, String[]> query) {
        QueryParameters.refuseUnknown(query, KNOWN);
        ImmutableMap.Builder<String, String> texts = ImmutableMap.builder();
        for (String name : TEXT_FILTERS) {
            QueryParameters.single(query, name).map(value -> value.trim().toLowerCase(Locale.ROOT)).filter(value -> !value.isEmpty())
                .ifPresent(value -> texts.put(name, value));
        }
        int limit = QueryParameters.integer(query, LIMIT, 1, MAX_LIMIT).orElse(DEFAULT_LIMIT);
        return new MailFilter(texts.build(), instant(query, SINCE), instant(query, UNTIL), limit);
    }

    private static Optional<Instant> instant(Map<String, String[]> query, String name) {
        return QueryParameters.single(query, name).map(String::trim).filter(value -> !value.isEmpty()).map(value -> {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + name + "' must be an instant like 2026-05-01T00:00:00Z, got '" + value + "'");
            }
        });
    }

    private final Map<String, String> texts;
    private final Optional<Instant> since;
    private final Optional<Instant> until;
    private final int limit;

    MailFilter(Map<String, String> texts, Optional<Instant> since, Optional<Instant> until, int limit) {
        this.texts = texts;
        this.since = since;
        this.until = until;
        this.limit = limit;
    }

    boolean matches(QuarantinedMail mail) {
        if (since.filter(mail.time::isBefore).isPresent() || until.filter(bound -> !mail.time.isBefore(bound)).isPresent()) {
            return false;
        }
        for (Map.Entry<String, String> filter : texts.entrySet()) {
            String value = mail.field(filter.getKey());
            boolean match = filter.getValue().equals(ABSENT)
                ? value == null
                : value != null && value.toLowerCase(Locale.ROOT).contains(filter.getValue());
            if (!match) {
                return false;
            }
        }
        return true;
    }

    /** Rows listed, newest first. */
    int limit() {
        return limit;
    }
}
