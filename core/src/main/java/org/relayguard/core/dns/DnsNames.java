package org.relayguard.core.dns;

import java.net.IDN;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.google.common.base.CharMatcher;
import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;
import com.google.common.net.InetAddresses;

/**
 * DNS name handling shared by the matchers: one canonical form (ASCII, lower case, no trailing
 * dot) so that operators may write names in any case, in Unicode or in punycode.
 */
public final class DnsNames {
    private static final CharMatcher LABEL_CHARS = CharMatcher.inRange('a', 'z')
        .or(CharMatcher.inRange('0', '9'))
        .or(CharMatcher.anyOf("-_"))
        .precomputed();
    // The same characters in either case: IDN leaves ASCII names unchanged and only lower-casing follows.
    private static final CharMatcher ASCII_LABEL_CHARS = LABEL_CHARS.or(CharMatcher.inRange('A', 'Z')).precomputed();
    private static final CharMatcher DIGITS_AND_DOTS = CharMatcher.inRange('0', '9').or(CharMatcher.is('.')).precomputed();
    private static final Splitter LABEL_SPLITTER = Splitter.on('.');
    private static final int MAX_LABEL_LENGTH = 63;
    private static final int MAX_NAME_LENGTH = 253;

    private DnsNames() {
    }

    /**
     * The canonical labels of a syntactically valid DNS name, or empty when the text is not one
     * (IP addresses, wildcards, empty labels and foreign characters are not DNS names).
     */
    public static Optional<List<String>> labels(String name) {
        Optional<String> ascii = toAscii(stripOneTrailingDot(name.trim()));
        if (ascii.isEmpty() || ascii.get().isEmpty() || ascii.get().length() > MAX_NAME_LENGTH || isIpLiteral(ascii.get())) {
            return Optional.empty();
        }
        List<String> labels = LABEL_SPLITTER.splitToList(ascii.get());
        if (!labels.stream().allMatch(DnsNames::isValidLabel)) {
            return Optional.empty();
        }
        return Optional.of(ImmutableList.copyOf(labels));
    }

    /**
     * The canonical form of a valid DNS name, or empty. A pure ASCII name (what SMTP envelopes and
     * PTR lookups give) is only checked and lower-cased, without the IDN conversion and the label
     * list of {@link #labels(String)}, whose result it equals.
     */
    public static Optional<String> canonical(String name) {
        String trimmed = stripOneTrailingDot(name.trim());
        if (!trimmed.isEmpty() && trimmed.length() <= MAX_NAME_LENGTH && hasValidAsciiLabels(trimmed)) {
            if (DIGITS_AND_DOTS.matchesAllOf(trimmed) && InetAddresses.isInetAddress(trimmed)) {
                return Optional.empty();
            }
            return Optional.of(trimmed.toLowerCase(Locale.ROOT));
        }
        return labels(name).map(labels -> String.join(".", labels));
    }

    private static boolean hasValidAsciiLabels(String name) {
        int labelLength = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return false;
                }
                labelLength = 0;
            } else if (!ASCII_LABEL_CHARS.matches(c) || ++labelLength > MAX_LABEL_LENGTH) {
                return false;
            }
        }
        return labelLength > 0;
    }

    /**
     * True for IPv4 and IPv6 literals, bracketed or not, including the {@code IPv6:} tag of
     * RFC 5321 address literals.
     */
    public static boolean isIpLiteral(String host) {
        String candidate = host;
        if (candidate.startsWith("[") && candidate.endsWith("]")) {
            candidate = candidate.substring(1, candidate.length() - 1);
        }
        if (candidate.regionMatches(true, 0, "IPv6:", 0, 5)) {
            candidate = candidate.substring(5);
        }
        return InetAddresses.isInetAddress(candidate) || candidate.contains(":");
    }

    private static boolean isValidLabel(String label) {
        return !label.isEmpty()
            && label.length() <= MAX_LABEL_LENGTH
            && LABEL_CHARS.matchesAllOf(label);
    }

    private static String stripOneTrailingDot(String name) {
        if (name.endsWith(".")) {
            return name.substring(0, name.length() - 1);
        }
        return name;
    }

    private static Optional<String> toAscii(String name) {
        try {
            // Internationalised names compare in their punycode form, whichever form was written.
            return Optional.of(IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.US));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
