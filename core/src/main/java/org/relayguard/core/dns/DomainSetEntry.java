package org.relayguard.core.dns;

import java.util.Optional;

/** One parsed entry of {@code SenderInDomainSet}: a domain, every domain below one, or James's DomainList. */
public final class DomainSetEntry {
    public static final String DOMAIN_LIST_KEYWORD = "@domainlist";

    public enum Kind {
        EXACTLY, BELOW, DOMAIN_LIST
    }

    public static Optional<DomainSetEntry> parse(String entry) {
        if (entry.startsWith("@")) {
            if (entry.equalsIgnoreCase(DOMAIN_LIST_KEYWORD)) {
                return Optional.of(new DomainSetEntry(Kind.DOMAIN_LIST, DOMAIN_LIST_KEYWORD));
            }
            return Optional.empty();
        }
        if (entry.startsWith(".")) {
            return DnsNames.canonical(entry.substring(1)).map(domain -> new DomainSetEntry(Kind.BELOW, domain));
        }
        return DnsNames.canonical(entry).map(domain -> new DomainSetEntry(Kind.EXACTLY, domain));
    }

    private final Kind kind;
    private final String domain;

    private DomainSetEntry(Kind kind, String domain) {
        this.kind = kind;
        this.domain = domain;
    }

    public Kind kind() {
        return kind;
    }

    /** The canonical (punycode, lower case) domain of an {@code EXACTLY} or {@code BELOW} entry. */
    public String domain() {
        return domain;
    }
}
