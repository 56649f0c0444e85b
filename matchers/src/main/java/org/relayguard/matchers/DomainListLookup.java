package org.relayguard.matchers;

import java.net.IDN;
import java.util.Locale;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;

/**
 * The {@code @domainlist} entry of {@link SenderInDomainSet}: James's DomainList, asked on every mail
 * so that a domain added through webadmin counts at once. Its cost is the DomainList's.
 */
final class DomainListLookup {
    private static final String PUNYCODE_PREFIX = "xn--";

    private final DomainList domainList;

    DomainListLookup(DomainList domainList) {
        this.domainList = domainList;
    }

    /** Whether the DomainList holds a domain; {@code lookupForm} is ASCII, any case. */
    boolean contains(String lookupForm) throws MessagingException {
        String canonical = lookupForm.toLowerCase(Locale.ROOT);
        try {
            // The DomainList keeps names as the operator typed them: try both IDN forms.
            return domainList.containsDomain(Domain.of(canonical))
                || containsUnicodeForm(canonical);
        } catch (DomainListException | RuntimeException e) {
            throw new MessagingException(SenderInDomainSet.NAME + ": cannot read James's DomainList", e);
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
