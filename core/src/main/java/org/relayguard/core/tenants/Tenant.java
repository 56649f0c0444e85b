package org.relayguard.core.tenants;

import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.relayguard.core.dns.DomainSetEntry;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;

/**
 * One Microsoft 365 tenant behind the gateway, as the tenants description ({@link Tenants}) gives
 * it: its name, its organisation values (the {@code X-OriginatorOrg} / XOORG values of the
 * Proofpoint procedure's Step 1), the domains it owns, and its smart host (Step 2).
 */
public final class Tenant {
    private final String name;
    private final Set<String> orgs;
    private final Set<String> domains;
    private final Set<String> domainsBelow;
    private final boolean domainList;
    private final String smartHost;

    Tenant(String name, Set<String> orgs, Set<String> domains, Set<String> domainsBelow, boolean domainList, String smartHost) {
        this.name = name;
        this.orgs = ImmutableSet.copyOf(orgs);
        this.domains = ImmutableSet.copyOf(domains);
        this.domainsBelow = ImmutableSet.copyOf(domainsBelow);
        this.domainList = domainList;
        this.smartHost = smartHost;
    }

    Tenant withOrgs(Set<String> orgs) {
        return new Tenant(name, orgs, domains, domainsBelow, domainList, smartHost);
    }

    /** Lower-case letters, digits and hyphens: it names the tenant's delivery queue and appears in the decision log. */
    public String name() {
        return name;
    }

    /** Its organisation values, canonical (lower case, ASCII); empty for a lone tenant described without {@code orgs}. */
    public Set<String> orgs() {
        return orgs;
    }

    /** The domains it owns by name, canonical. */
    public Set<String> domains() {
        return domains;
    }

    /** The domains below which it owns every domain ({@code .example.com} entries), canonical, without the dot. */
    public Set<String> domainsBelow() {
        return domainsBelow;
    }

    /** Whether it owns the domains of James's DomainList that no other tenant lists ({@code @domainlist}). */
    public boolean ownsDomainList() {
        return domainList;
    }

    /** Where mail for its domains goes: {@code host} or {@code host:port}. */
    public String smartHost() {
        return smartHost;
    }

    /** Its domain entries as the description writes them. */
    public List<String> domainEntries() {
        ImmutableList.Builder<String> entries = ImmutableList.<String>builder().addAll(domains);
        domainsBelow.forEach(domain -> entries.add("." + domain));
        if (domainList) {
            entries.add(DomainSetEntry.DOMAIN_LIST_KEYWORD);
        }
        return entries.build();
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Tenant)) {
            return false;
        }
        Tenant tenant = (Tenant) other;
        return name.equals(tenant.name) && orgs.equals(tenant.orgs) && domains.equals(tenant.domains)
            && domainsBelow.equals(tenant.domainsBelow) && domainList == tenant.domainList && smartHost.equals(tenant.smartHost);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, orgs, domains, domainsBelow, domainList, smartHost);
    }

    @Override
    public String toString() {
        return name + ": orgs " + String.join(", ", orgs) + "; domains " + String.join(", ", domainEntries()) + "; smarthost " + smartHost;
    }
}
