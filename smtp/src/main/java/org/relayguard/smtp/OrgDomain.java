package org.relayguard.smtp;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.google.common.base.CharMatcher;
import com.google.common.base.Splitter;

/**
 * The syntax an organization domain given in XOORG must have, and its one canonical form (lower
 * case, no trailing dot), so that the matchers compare like with like.
 *
 * <p>Strict on purpose: host names of letters, digits and hyphens (RFC 1123; internationalised
 * names in their {@code xn--} form), at least two labels, labels of 1 to 63 characters that do not
 * start or end with a hyphen, 253 characters at most, and a top-level label that is not all
 * digits, so that an IP address is refused. One trailing dot is accepted and dropped.</p>
 */
final class OrgDomain {
    private static final CharMatcher LDH = CharMatcher.inRange('a', 'z')
        .or(CharMatcher.inRange('0', '9'))
        .or(CharMatcher.is('-'))
        .precomputed();
    private static final CharMatcher DIGITS = CharMatcher.inRange('0', '9');
    private static final Splitter DOT = Splitter.on('.');
    private static final int MAX_LABEL_LENGTH = 63;
    private static final int MAX_NAME_LENGTH = 253;

    private OrgDomain() {
    }

    static Optional<String> canonical(String value) {
        String name = value.toLowerCase(Locale.US);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            return Optional.empty();
        }
        List<String> labels = DOT.splitToList(name);
        if (labels.size() < 2
            || !labels.stream().allMatch(OrgDomain::isValidLabel)
            || DIGITS.matchesAllOf(labels.get(labels.size() - 1))) {
            return Optional.empty();
        }
        return Optional.of(name);
    }

    private static boolean isValidLabel(String label) {
        return !label.isEmpty()
            && label.length() <= MAX_LABEL_LENGTH
            && LDH.matchesAllOf(label)
            && !label.startsWith("-")
            && !label.endsWith("-");
    }
}
