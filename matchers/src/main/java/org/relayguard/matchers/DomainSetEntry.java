package org.relayguard.matchers;

import java.net.IDN;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;

/** One entry of {@link SenderInDomainSet}, tested against a canonical (punycode, lower case) domain. */
interface DomainSetEntry {
    String DOMAIN_LIST_KEYWORD = "@domainlist";

    static Optional<DomainSetEntry> parse(String entry, DomainList domainList) {
        if (entry.startsWith("@")) {
            if (entry.equalsIgnoreCase(DOMAIN_LIST_KEYWORD)) {
                return Optional.of(new InDomainList(domainList));
            }
            return Optional.empty();
        }
        if (entry.startsWith(".")) {
            return DnsNames.canonical(entry.substring(1)).map(Below::new);
        }
        return DnsNames.canonical(entry).map(Exactly::new);
    }

    boolean contains(String canonicalDomain) throws MessagingException;

    final class Exactly implements DomainSetEntry {
        private final String domain;

        Exactly(String domain) {
            this.domain = domain;
        }

        @Override
        public boolean contains(String canonicalDomain) {
            return canonicalDomain.equals(domain);
        }
    }

    final class Below implements DomainSetEntry {
        private final String dotDomain;

        Below(String domain) {
            this.dotDomain = "." + domain;
        }

        @Override
        public boolean contains(String canonicalDomain) {
            return canonicalDomain.endsWith(dotDomain);
        }
    }

    final class InDomainList implements DomainSetEntry {
        private final DomainList domainList;

        InDomainList(DomainList domainList) {
            this.domainList = domainList;
        }

        @Override
        public boolean contains(String canonicalDomain) throws MessagingException {
            try {
                // The DomainList keeps names as the operator typed them: try both IDN forms.
                return domainList.containsDomain(Domain.of(canonicalDomain))
                    || containsUnicodeForm(canonicalDomain);
            } catch (DomainListException | RuntimeException e) {
                throw new MessagingException(SenderInDomainSet.NAME + ": cannot read James's DomainList", e);
            }
        }

        private boolean containsUnicodeForm(String canonicalDomain) throws DomainListException {
            String unicode = IDN.toUnicode(canonicalDomain, IDN.ALLOW_UNASSIGNED);
            return !unicode.equals(canonicalDomain) && domainList.containsDomain(Domain.of(unicode));
        }
    }
}
