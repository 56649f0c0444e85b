package org.relayguard.matchers;

import java.util.Collection;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.core.tenants.Tenant;
import org.relayguard.core.tenants.TenantIdentity;
import org.relayguard.core.tenants.Tenants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;

/**
 * Shared logic of the tenant-binding matchers: a mail matches when some domain it claims to be from
 * is ours and the evidence of who sent it ({@link Tenants#identify}) does not bind it to the tenant
 * that owns that domain ({@link TenantIdentity#deniesDomainOf}), or when the domain is in James's
 * DomainList while no tenant owns it. Domains that are not ours are left to the other rules. With
 * fewer than two tenants it never matches: there is no other tenant to send as.
 */
abstract class TenantBindingMatcher extends GenericMatcher {
    private static final Logger LOGGER = LoggerFactory.getLogger(TenantBindingMatcher.class);

    private final String name;
    private final DomainList domainList;
    private Tenants tenants = Tenants.none();
    private DomainListLookup domainListLookup;

    TenantBindingMatcher(String name, DomainList domainList) {
        this.name = name;
        this.domainList = domainList;
    }

    /**
     * The domains the mail claims to be from, as this matcher binds them.
     *
     * @throws MessagingException when the message cannot be read (the mail then matches)
     */
    abstract Collection<Domain> claimedDomains(Mail mail) throws MessagingException;

    @Override
    public void init() throws MessagingException {
        tenants = Tenants.parse(name, getCondition());
        domainListLookup = new DomainListLookup(domainList, name);
    }

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        if (tenants.all().size() < 2) {
            return ImmutableList.of();
        }
        Collection<Domain> claimed;
        try {
            claimed = claimedDomains(mail);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot read the sending domains of mail {}, treating it as a match", name, mail.getName(), e);
            return mail.getRecipients();
        }
        // Owners first: mail from domains that are not ours (most of it) needs no header read.
        TenantIdentity identity = null; // not read yet
        for (Domain domain : claimed) {
            Optional<Tenant> owner = tenants.owner(domain, domainListLookup);
            if (owner.isEmpty()) {
                if (isOursWithoutOwner(domain)) {
                    return mail.getRecipients();
                }
                continue;
            }
            if (identity == null) {
                try {
                    identity = tenants.identify(mail);
                } catch (MessagingException | RuntimeException e) {
                    LOGGER.warn("{}: cannot read the headers of mail {}, treating it as a match", name, mail.getName(), e);
                    return mail.getRecipients();
                }
            }
            if (identity.deniesDomainOf(owner.get())) {
                return mail.getRecipients();
            }
        }
        return ImmutableList.of();
    }

    /**
     * A domain of James's DomainList that no tenant owns (no tenant has {@code @domainlist}): the
     * exemption for our own domains would let any tenant send as it, so nobody may.
     */
    private boolean isOursWithoutOwner(Domain domain) throws MessagingException {
        return tenants.domainListTenant().isEmpty() && domainListLookup.contains(domain);
    }

    @Override
    public String getMatcherInfo() {
        return name + "=" + getCondition();
    }
}
