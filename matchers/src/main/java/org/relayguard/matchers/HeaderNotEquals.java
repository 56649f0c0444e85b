package org.relayguard.matchers;

import java.util.List;
import java.util.function.Predicate;

import com.google.common.collect.ImmutableSet;

/**
 * Matches mail in which a header is absent, or in which at least one instance of it equals none
 * of the configured values. This is Proofpoint's <em>Message Header … does not equal</em>
 * condition, made fail-closed: it does not match only when the header is present and
 * <em>every</em> instance equals one of the values.
 *
 * <p>Condition: {@code <header-name>:<value>[, <value>…]}; the first {@code :} ends the header
 * name (case-insensitive). Instances and values are compared unfolded, RFC 2047-decoded, trimmed,
 * with whitespace runs collapsed and ignoring case. A message whose headers cannot be read
 * matches, and is logged.</p>
 *
 * <pre>{@code
 * <mailet match="org.relayguard.matchers.HeaderNotEquals=X-OriginatorOrg:contoso.onmicrosoft.com, contoso.com" class="ToRepository">
 *     <repositoryPath>file://var/mail/m365-relaydeny/</repositoryPath>
 *     <passThrough>true</passThrough>
 * </mailet>
 * }</pre>
 */
public class HeaderNotEquals extends HeaderValueMatcher {
    public HeaderNotEquals() {
        super("HeaderNotEquals");
    }

    @Override
    Predicate<String> acceptance(List<String> values) {
        // A hash lookup: as fast with a thousand tenants as with one.
        return ImmutableSet.copyOf(values)::contains;
    }
}
