package org.relayguard.matchers;

import java.util.Collection;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.FromDomains;

/**
 * Tenant binding of the {@code From:} header, an opt-in beside {@link SenderNotOwnedByTenant}:
 * matches mail from one of our tenants with a {@code From:} address whose domain belongs to another
 * of our tenants. Same condition, identification and ownership as {@link SenderNotOwnedByTenant};
 * every address of every {@code From:} instance counts.
 *
 * <p>Not on by default: a forward by an inbox rule keeps the original author's {@code From:}, which
 * may be another tenant's, so the rule needs an exemption for mailbox-rules forwards (composed in
 * XML, below), and that exemption rests on a header the sending tenant writes. Fail closed: a
 * {@code From:} that cannot be read or parsed matches, and is logged.</p>
 *
 * <pre>{@code
 * <matcher name="m365-from-binding" match="org.apache.james.mailetcontainer.impl.matchers.And">
 *     <matcher match="org.relayguard.matchers.FromNotOwnedByTenant=&tenants;"/>
 *     <matcher match="org.relayguard.matchers.HeaderNotEquals=X-MS-Exchange-Generated-Message-Source:Mailbox Rules Agent"/>
 * </matcher>
 * }</pre>
 */
public class FromNotOwnedByTenant extends TenantBindingMatcher {
    static final String NAME = "FromNotOwnedByTenant";

    @Inject
    public FromNotOwnedByTenant(DomainList domainList) {
        super(NAME, domainList);
    }

    @Override
    Collection<Domain> claimedDomains(Mail mail) throws MessagingException {
        return FromDomains.of(mail);
    }
}
