package org.relayguard.matchers;

import java.util.List;
import java.util.function.Predicate;

/**
 * Matches mail in which a header is absent, or in which at least one instance of it contains none
 * of the configured values as a substring. This is Proofpoint's <em>Message Header … does not
 * contain</em> condition, made fail-closed exactly like {@link HeaderNotEquals}.
 *
 * <p>Condition, normalisation and errors are those of {@link HeaderNotEquals}.</p>
 *
 * <pre>{@code
 * <mailet match="org.relayguard.matchers.HeaderNotContains=X-MS-Exchange-Generated-Message-Source:Mailbox Rules Agent" class="ToProcessor">
 *     <processor>m365_relaydeny</processor>
 * </mailet>
 * }</pre>
 */
public class HeaderNotContains extends HeaderValueMatcher {
    public HeaderNotContains() {
        super("HeaderNotContains");
    }

    @Override
    Predicate<String> acceptance(List<String> values) {
        // Each value is a substring search of its own: the cost grows with the number of values,
        // which this matcher is meant to have few of (Mailbox Rules Agent).
        return instance -> {
            for (String value : values) {
                if (instance.contains(value)) {
                    return true;
                }
            }
            return false;
        };
    }
}
