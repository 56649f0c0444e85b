package org.relayguard.matchers;

import java.util.Collection;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;

/**
 * Shared logic of the tenant-binding matchers: a mail matches when the tenant it comes from
 * ({@link Tenants#identify}) is identified and some domain the mail claims to be from is owned by
 * another tenant. Unidentified mail, and domains no tenant owns, are left to the other rules.
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
        Collection<Domain> claimed;
        try {
            claimed = claimedDomains(mail);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot read the sending domains of mail {}, treating it as a match", name, mail.getName(), e);
            return mail.getRecipients();
        }
        // Owners first: mail from domains no tenant owns (most of it) needs no header read.
        Optional<Tenant> identified = null; // not read yet
        for (Domain domain : claimed) {
            Optional<Tenant> owner = tenants.owner(domain, domainListLookup);
            if (owner.isEmpty()) {
                continue;
            }
            if (identified == null) {
                try {
                    identified = tenants.identify(mail);
                } catch (MessagingException | RuntimeException e) {
                    LOGGER.warn("{}: cannot read the headers of mail {}, treating it as a match", name, mail.getName(), e);
                    return mail.getRecipients();
                }
            }
            if (identified.isEmpty()) {
                return ImmutableList.of();
            }
            if (!owner.get().name().equals(identified.get().name())) {
                return mail.getRecipients();
            }
        }
        return ImmutableList.of();
    }

    @Override
    public String getMatcherInfo() {
        return name + "=" + getCondition();
    }
}
