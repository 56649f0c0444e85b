package org.relayguard.core.dns;

import java.net.IDN;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;

/**
 * The {@code @domainlist} entry of {@code SenderInDomainSet} and of the tenants description
 * ({@link Tenants}): James's DomainList, asked on every mail so that a domain added through webadmin
 * counts at once. Its cost is the DomainList's.
 */
public final class DomainListLookup {
    private static final String PUNYCODE_PREFIX = "xn--";

    private final DomainList domainList;
    private final String component;

    /** @param component who asks, named in the error when the DomainList cannot be read */
    public DomainListLookup(DomainList domainList, String component) {
        this.domainList = domainList;
        this.component = component;
    }

    /** Whether the DomainList holds the sender's domain, compared in its canonical (punycode, lower case) form. */
    public boolean contains(Domain senderDomain) throws MessagingException {
        Optional<String> canonical = DnsNames.canonical(senderDomain.asString());
        if (canonical.isEmpty()) {
            return false;
        }
        try {
            // James's Domain is lower case already: reuse it when it is the canonical form, as it nearly always is.
            Domain domain = canonical.get().equals(senderDomain.asString()) ? senderDomain : Domain.of(canonical.get());
            // The DomainList keeps names as the operator typed them: try both IDN forms.
            return domainList.containsDomain(domain)
                || containsUnicodeForm(canonical.get());
        } catch (DomainListException | RuntimeException e) {
            throw new MessagingException(component + ": cannot read James's DomainList", e);
        }
    }

    private boolean containsUnicodeForm(String canonical) throws DomainListException {
        // Only a name with a punycode label has a different Unicode form; IDN.toUnicode is costly.
        if (!canonical.contains(PUNYCODE_PREFIX)) {
            return false;
        }
        String unicode = IDN.toUnicode(canonical, IDN.ALLOW_UNASSIGNED);
        return !unicode.equals(canonical) && domainList.containsDomain(Domain.of(unicode));
    }
}
