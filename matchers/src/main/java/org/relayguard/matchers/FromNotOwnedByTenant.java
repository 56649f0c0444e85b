package org.relayguard.matchers;

import java.util.Collection;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.mime4j.util.MimeUtil;
import org.apache.mailet.Mail;

import com.google.common.collect.ImmutableList;

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
    private static final String FROM = "From";

    @Inject
    public FromNotOwnedByTenant(DomainList domainList) {
        super(NAME, domainList);
    }

    @Override
    Collection<Domain> claimedDomains(Mail mail) throws MessagingException {
        String[] instances = mail.getMessage().getHeader(FROM);
        if (instances == null) {
            return ImmutableList.of();
        }
        ImmutableList.Builder<Domain> domains = ImmutableList.builder();
        for (String instance : instances) {
            for (InternetAddress address : InternetAddress.parseHeader(MimeUtil.unfold(instance), false)) {
                addDomains(address, domains);
            }
        }
        return domains.build();
    }

    private static void addDomains(InternetAddress address, ImmutableList.Builder<Domain> domains) throws MessagingException {
        if (address.isGroup()) {
            for (InternetAddress member : address.getGroup(false)) {
                addDomains(member, domains);
            }
            return;
        }
        domain(address.getAddress()).ifPresent(domains::add);
    }

    /** An address without a domain, or with one that is no domain name, is no tenant's. */
    private static Optional<Domain> domain(String address) {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at < 0) {
            return Optional.empty();
        }
        return DnsNames.canonical(address.substring(at + 1)).map(Domain::of);
    }
}
