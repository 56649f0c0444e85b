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
    private List<DomainSetEntry> entries = ImmutableList.of();

    @Inject
    public SenderInDomainSet(DomainList domainList) {
        this.domainList = domainList;
    }

    @Override
    public void init() throws MessagingException {
        entries = ConditionLists.parse(NAME, getCondition(), entry -> DomainSetEntry.parse(entry, domainList));
    }

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        Optional<String> senderDomain = mail.getMaybeSender().asOptional()
            .map(sender -> sender.getDomain().asString())
            .flatMap(DnsNames::canonical);
        if (senderDomain.isEmpty()) {
            return ImmutableList.of();
        }
        for (DomainSetEntry entry : entries) {
            if (entry.contains(senderDomain.get())) {
                return mail.getRecipients();
            }
        }
        return ImmutableList.of();
    }

    @Override
    public String getMatcherInfo() {
        return NAME + "=" + getCondition();
    }
}
