package org.relayguard.matchers;

import java.util.Collection;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.relayguard.core.dns.DnsNameSet;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.core.dns.DomainSetEntry;
import org.relayguard.core.parameters.ConditionLists;

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
    private DnsNameSet domains = DnsNameSet.builder().build();
    private Optional<DomainListLookup> domainListLookup = Optional.empty();

    @Inject
    public SenderInDomainSet(DomainList domainList) {
        this.domainList = domainList;
    }

    @Override
    public void init() throws MessagingException {
        DnsNameSet.Builder builder = DnsNameSet.builder();
        for (DomainSetEntry entry : ConditionLists.parse(NAME, getCondition(), DomainSetEntry::parse)) {
            if (entry.kind() == DomainSetEntry.Kind.DOMAIN_LIST) {
                domainListLookup = Optional.of(new DomainListLookup(domainList, NAME));
            } else {
                builder.add(entry.domain(), entry.kind() == DomainSetEntry.Kind.BELOW ? DnsNameSet.Coverage.BELOW : DnsNameSet.Coverage.NAME);
            }
        }
        domains = builder.build();
    }

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        MaybeSender sender = mail.getMaybeSender();
        if (sender.isNullSender()) {
            return ImmutableList.of();
        }
        Domain senderDomain = sender.get().getDomain();
        // The configured domains answer first: when they hold the sender, the DomainList cannot
        // change the answer and is not asked.
        if (domains.covers(senderDomain.asString())
            || (domainListLookup.isPresent() && domainListLookup.get().contains(senderDomain))) {
            return mail.getRecipients();
        }
        return ImmutableList.of();
    }

    @Override
    public String getMatcherInfo() {
        return NAME + "=" + getCondition();
    }
}
