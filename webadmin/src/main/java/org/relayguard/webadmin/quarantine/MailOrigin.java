package org.relayguard.webadmin.quarantine;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.james.core.Domain;

import com.google.common.collect.ImmutableList;

/**
 * Whose domains a quarantined mail was sent as, judged against James's DomainList: the domains its
 * binding rule bound (the envelope sender's, or the {@code From:} ones for {@code from-binding}),
 * and whether it came from Exchange Online as the rules judged it. What tells one of our tenants
 * from a stranger's: an organization value is only a name, which any tenant can pick, while our
 * domains are what a stranger cannot send as without being quarantined for it.
 */
final class MailOrigin {
    static final String EXCHANGE_ONLINE_HOSTS = "protection.outlook.com";

    static MailOrigin of(MailSummary summary, Set<String> domainList) {
        List<Domain> claimed = summary.evidence().claimedDomains().orElse(List.of());
        return new MailOrigin(
            claimed.stream().map(MailOrigin::name).filter(domainList::contains).collect(ImmutableList.toImmutableList()),
            claimed.stream().map(MailOrigin::name).filter(domain -> !domainList.contains(domain)).collect(ImmutableList.toImmutableList()),
            fromExchangeOnline(summary));
    }

    /**
     * The host name James resolved (forward-confirmed) is below {@value #EXCHANGE_ONLINE_HOSTS}, or
     * the rule's notice names the route it ran in: every Relay Guard rule first tests that the mail
     * comes from Exchange Online, by that host name or by Microsoft's published ranges (a mail
     * without a PTR name).
     */
    private static boolean fromExchangeOnline(MailSummary summary) {
        boolean exchangeOnlineHost = summary.remoteHost()
            .map(host -> host.endsWith(".") ? host.substring(0, host.length() - 1) : host)
            .filter(host -> host.endsWith("." + EXCHANGE_ONLINE_HOSTS))
            .isPresent();
        return exchangeOnlineHost || summary.evidence().route().isPresent();
    }

    private static String name(Domain domain) {
        return domain.asString().toLowerCase(Locale.ROOT);
    }

    private final List<String> ourDomains;
    private final List<String> foreignDomains;
    private final boolean fromExchangeOnline;

    private MailOrigin(List<String> ourDomains, List<String> foreignDomains, boolean fromExchangeOnline) {
        this.ourDomains = ourDomains;
        this.foreignDomains = foreignDomains;
        this.fromExchangeOnline = fromExchangeOnline;
    }

    /** Sent as our domains only, from Exchange Online: a mail of one of our tenants, as far as a mail can tell. */
    boolean ours() {
        return !ourDomains.isEmpty() && foreignDomains.isEmpty() && fromExchangeOnline;
    }

    /** Sent as at least one domain that is not in our DomainList. */
    boolean foreign() {
        return !foreignDomains.isEmpty();
    }

    List<String> ourDomains() {
        return ourDomains;
    }

    List<String> foreignDomains() {
        return foreignDomains;
    }
}
