package org.relayguard.it;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.relayguard.tools.harness.Scenario;

/**
 * SPEC's rules for the hardened profile, written out again from SPEC (not from the matchers), to
 * predict where a message must end:
 * <ul>
 *     <li>mail that is not from Microsoft 365 is untouched: relayed;</li>
 *     <li>Microsoft 365 mail whose envelope sender is in our domains and whose every
 *     {@code X-OriginatorOrg} is one of our tenants' is ours: relayed;</li>
 *     <li>otherwise it is denied when it is not a mailbox-rules forward from our domains
 *     ({@code X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent} and our envelope domain)
 *     and its {@code X-OriginatorOrg} is absent or any instance is not one of our tenants'.</li>
 * </ul>
 * Header values are compared unfolded, trimmed, with whitespace runs collapsed, ignoring case.
 */
final class HardenedRules {
    private final Set<String> tenantOrgs;
    private final Set<String> ourDomains;

    HardenedRules(Set<String> tenantOrgs, Set<String> ourDomains) {
        this.tenantOrgs = lowerCase(tenantOrgs);
        this.ourDomains = lowerCase(ourDomains);
    }

    Scenario.Decision decide(boolean fromM365, Optional<String> senderDomain, CorpusMessage message) {
        if (!fromM365) {
            return Scenario.Decision.RELAY;
        }
        boolean ourSender = senderDomain.map(domain -> ourDomains.contains(domain.toLowerCase(Locale.ROOT))).orElse(false);
        List<String> orgs = normalised(message.values("X-OriginatorOrg"));
        boolean ourOrg = !orgs.isEmpty() && tenantOrgs.containsAll(orgs);
        if (ourSender && ourOrg) {
            return Scenario.Decision.RELAY;
        }
        List<String> source = normalised(message.values("X-MS-Exchange-Generated-Message-Source"));
        boolean mailboxRules = !source.isEmpty() && source.stream().allMatch("mailbox rules agent"::equals);
        boolean denied = (!mailboxRules || !ourSender) && !ourOrg;
        return denied ? Scenario.Decision.DENY : Scenario.Decision.RELAY;
    }

    private static List<String> normalised(List<String> values) {
        return values.stream().map(HardenedRules::normalise).collect(Collectors.toList());
    }

    static String normalise(String raw) {
        if (raw.contains("=?")) {
            // None of the corpus's relevant fields has one; a new file that does needs a decoder here.
            throw new IllegalStateException("the test's rules do not decode RFC 2047 encoded words: " + raw);
        }
        return raw.replaceAll("\r\n(?=[ \t])", "").trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    private static Set<String> lowerCase(Set<String> values) {
        return values.stream().map(value -> value.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    }
}
