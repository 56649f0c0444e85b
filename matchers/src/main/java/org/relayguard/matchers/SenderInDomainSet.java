package org.relayguard.matchers;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

import com.google.common.collect.ImmutableList;

/**
 * Matches mail whose envelope sender (MAIL FROM) domain is in a set of domains. This is
 * Proofpoint's <em>Envelope Sender is in Domain Set</em> condition.
 *
 * <p>Entries, which may be mixed:</p>
 * <ul>
 *     <li>{@code example.com}: that domain.</li>
 *     <li>{@code .example.com}: any domain strictly below it.</li>
 *     <li>{@code @domainlist}: James's DomainList, looked up for every mail, so that a domain
 *     added through webadmin counts at once.</li>
 * </ul>
 *
 * <p>Comparison is case-insensitive, on the ASCII (punycode) form of internationalised names.
 * The null sender ({@code <>}) never matches. When the DomainList cannot be read the matcher
 * throws, and the mailet's {@code onMatchException} decides.</p>
 *
 * <pre>{@code
 * <mailet match="org.relayguard.matchers.SenderInDomainSet=@domainlist, contoso.onmicrosoft.com" class="ToProcessor">
 *     <processor>m365_our_outbound</processor>
 * </mailet>
 * }</pre>
 */
public class SenderInDomainSet extends GenericMatcher {
    static final String NAME = "SenderInDomainSet";

    private final DomainList domainList;
    private DnsNameSet domains = DnsNameSet.of(ImmutableList.of());
    private DnsNameSet domainsAbove = DnsNameSet.of(ImmutableList.of());
    private Optional<DomainListLookup> domainListLookup = Optional.empty();

    @Inject
    public SenderInDomainSet(DomainList domainList) {
        this.domainList = domainList;
    }

    @Override
    public void init() throws MessagingException {
        List<DomainSetEntry> entries = ConditionLists.parse(NAME, getCondition(), DomainSetEntry::parse);
        domains = DnsNameSet.of(domainsOf(entries, DomainSetEntry.Kind.EXACTLY));
        domainsAbove = DnsNameSet.of(domainsOf(entries, DomainSetEntry.Kind.BELOW));
        if (entries.stream().anyMatch(entry -> entry.kind() == DomainSetEntry.Kind.DOMAIN_LIST)) {
            domainListLookup = Optional.of(new DomainListLookup(domainList));
        }
    }

    private static List<String> domainsOf(List<DomainSetEntry> entries, DomainSetEntry.Kind kind) {
        return entries.stream()
            .filter(entry -> entry.kind() == kind)
            .map(DomainSetEntry::domain)
            .collect(ImmutableList.toImmutableList());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        Optional<String> senderDomain = mail.getMaybeSender().asOptional()
            .map(sender -> sender.getDomain().asString())
            .flatMap(DnsNames::lookupForm);
        if (senderDomain.isEmpty()) {
            return ImmutableList.of();
        }
        // The configured domains answer first: when one of them holds the sender, the DomainList
        // cannot change the answer and is not asked.
        if (domains.contains(senderDomain.get())
            || domainsAbove.containsParentOf(senderDomain.get())
            || (domainListLookup.isPresent() && domainListLookup.get().contains(senderDomain.get()))) {
            return mail.getRecipients();
        }
        return ImmutableList.of();
    }

    @Override
    public String getMatcherInfo() {
        return NAME + "=" + getCondition();
    }
}
