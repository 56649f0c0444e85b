package org.relayguard.matchers;

import java.util.List;

import javax.mail.MessagingException;

import org.relayguard.core.mail.HeaderValues;

import com.google.common.base.CharMatcher;
import com.google.common.base.Strings;

/**
 * The condition {@code <header-name>:<value>[, <value>…]} of {@link HeaderNotEquals} and
 * {@link HeaderNotContains}: the first colon separates the name from the values.
 */
final class HeaderCondition {
    // RFC 5322 section 3.6.8: printable US-ASCII except the colon.
    private static final CharMatcher FIELD_NAME_CHARS = CharMatcher.inRange('!', '~').and(CharMatcher.isNot(':')).precomputed();

    static HeaderCondition parse(String matcherName, String condition) throws MessagingException {
        if (Strings.isNullOrEmpty(condition) || condition.isBlank()) {
            throw new MessagingException(matcherName + ": a condition '<header-name>:<value>[, <value>...]' is required");
        }
        int colon = condition.indexOf(':');
        if (colon < 0) {
            throw new MessagingException(matcherName + ": missing ':' between header name and values in condition '" + condition + "'");
        }
        String headerName = condition.substring(0, colon).trim();
        if (headerName.isEmpty() || !FIELD_NAME_CHARS.matchesAllOf(headerName)) {
            throw new MessagingException(matcherName + ": invalid header name '" + headerName + "' in condition '" + condition + "'");
        }
        List<String> values = HeaderValues.normaliseList(condition.substring(colon + 1));
        if (values.isEmpty()) {
            throw new MessagingException(matcherName + ": no value after '" + headerName + ":' in condition '" + condition + "'");
        }
        return new HeaderCondition(headerName, values);
    }

    private final String headerName;
    private final List<String> values;

    private HeaderCondition(String headerName, List<String> values) {
        this.headerName = headerName;
        this.values = values;
    }

    String headerName() {
        return headerName;
    }

    List<String> values() {
        return values;
    }
}
