package org.relayguard.core.decision;

import java.util.Optional;

import com.google.common.base.CharMatcher;

/**
 * One line of the decision log: {@code key=value} pairs separated by spaces, in a fixed order.
 *
 * <p>Most values come from the sender (headers, envelope), so they are made safe for a log line:
 * control characters become {@code ?}, long values are cut, and a value with a space, a quote, a
 * backslash or an {@code =} is written in double quotes with {@code \} escapes, so that
 * {@code key=value} parsing can never be fooled. An absent value is written {@code -}.</p>
 *
 * <p>{@link DecisionLog} builds the line of a decision about a mail with it; the SMTP handler
 * {@code org.relayguard.smtp.M365AllowRelay}, whose refusals at {@code RCPT} have no mail yet, builds
 * its own, with the same keys and format.</p>
 */
public final class DecisionLine {
    static final String ABSENT = "-";
    /** Longer values are cut to this many characters and marked with {@code ...}. */
    public static final int MAX_VALUE_LENGTH = 256;
    private static final CharMatcher NEEDS_QUOTES = CharMatcher.whitespace().or(CharMatcher.anyOf("\"\\="));

    private final StringBuilder line = new StringBuilder();

    public DecisionLine add(String key, Optional<String> value) {
        if (line.length() > 0) {
            line.append(' ');
        }
        line.append(key).append('=').append(value.map(DecisionLine::format).orElse(ABSENT));
        return this;
    }

    public DecisionLine add(String key, String value) {
        return add(key, Optional.of(value));
    }

    public DecisionLine add(String key, long value) {
        return add(key, String.valueOf(value));
    }

    private static String format(String raw) {
        String value = CharMatcher.javaIsoControl().replaceFrom(raw, '?');
        if (value.length() > MAX_VALUE_LENGTH) {
            value = value.substring(0, MAX_VALUE_LENGTH) + "...";
        }
        if (value.isEmpty() || value.equals(ABSENT) || NEEDS_QUOTES.matchesAnyOf(value)) {
            return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        return value;
    }

    @Override
    public String toString() {
        return line.toString();
    }
}
