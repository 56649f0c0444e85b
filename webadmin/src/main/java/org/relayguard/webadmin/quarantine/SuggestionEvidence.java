package org.relayguard.webadmin.quarantine;

import java.util.List;

import com.google.common.base.Joiner;

/**
 * A {@link Suggestion}'s evidence in words, as the review page shows it and the report gives it:
 * "named like your domain fabrikam.com; 3 of 3 mails from your domain fabrikam.com", "5 of 5 mails
 * from evil.example, not a domain of yours". The domains are the senders' own text: the page writes
 * it as text.
 */
final class SuggestionEvidence {
    private static final Joiner COMMA = Joiner.on(", ");

    private SuggestionEvidence() {
    }

    static String of(Suggestion suggestion) {
        switch (suggestion.standing()) {
            case SUGGESTED:
                return suggested(suggestion);
            case SUSPICIOUS:
                return name(suggestion) + ", but " + foreign(suggestion) + ": a look-alike name";
            default:
                return stranger(suggestion);
        }
    }

    private static String suggested(Suggestion suggestion) {
        String senders = suggestion.getFromOurDomains() > 0
            ? ours(suggestion)
            : "none of " + mails(suggestion.getMails()) + " from a domain of yours";
        if (suggestion.getReasons().contains(Suggestion.DOMAIN_LIST_SENDERS)) {
            return senders + ", through Exchange Online";
        }
        return name(suggestion) + "; " + senders;
    }

    private static String stranger(Suggestion suggestion) {
        if (suggestion.getFromForeignDomains() > 0) {
            return foreign(suggestion);
        }
        if (suggestion.getFromOurDomains() > 0) {
            return "only " + ours(suggestion);
        }
        return "none of " + mails(suggestion.getMails()) + " from a domain of yours through Exchange Online";
    }

    private static String name(Suggestion suggestion) {
        String domain = suggestion.namedLike().orElse(suggestion.getValue());
        return suggestion.inDomainList() ? "a domain of your DomainList" : "named like your domain " + domain;
    }

    private static String ours(Suggestion suggestion) {
        List<String> domains = suggestion.getOurDomains();
        return suggestion.getFromOurDomains() + " of " + mails(suggestion.getMails()) + " from your domain"
            + (domains.size() == 1 ? " " : "s ") + COMMA.join(domains);
    }

    private static String foreign(Suggestion suggestion) {
        List<String> domains = suggestion.getForeignDomains();
        return suggestion.getFromForeignDomains() + " of " + mails(suggestion.getMails()) + " from " + COMMA.join(domains)
            + (domains.size() == 1 ? ", not a domain of yours" : ", not domains of yours");
    }

    private static String mails(long count) {
        return count + (count == 1 ? " mail" : " mails");
    }
}
