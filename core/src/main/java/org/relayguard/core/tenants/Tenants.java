package org.relayguard.core.tenants;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.mailet.Attribute;
import org.apache.mailet.Mail;
import org.relayguard.core.dns.DnsNames;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.core.mail.HeaderNames;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.MailAttributes;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;

/**
 * The Microsoft 365 tenants behind the gateway, from the one description every component reads
 * (the {@code tenants} entity of {@code mailetcontainer.xml}): who owns which domain, and which
 * tenant a mail comes from.
 *
 * <pre>
 * tenants := tenant ( "|" tenant )*
 * tenant  := NAME ":" clause ( ";" clause )*
 * clause  := "orgs" VALUE ("," VALUE)*       its X-OriginatorOrg / XOORG values
 *          | "domains" ENTRY ("," ENTRY)*    a domain, .below-a-domain, or @domainlist
 *          | "smarthost" HOST[":"PORT]      where mail for its domains goes
 * NAME    := [a-z0-9][a-z0-9-]*
 * </pre>
 *
 * <p>Whitespace, newlines included, is free. {@code @domainlist} stands for every domain of James's
 * DomainList that no other tenant lists. A lone tenant may leave out {@code orgs}: its values are
 * then the flat {@code tenantOrgs} list ({@link #withOrgsOfALoneTenant}). Anything ambiguous is a
 * start-up error naming the component and the tenant: an empty description or tenant, a duplicate
 * or invalid name, an unknown or repeated clause, a tenant without domains or smart host, a domain
 * or {@code .below} entry claimed by two tenants (one inside the other counts), {@code @domainlist}
 * in two tenants, an org value listed twice, and, with several tenants, one without orgs.</p>
 *
 * <p>Lookups cost a few hash probes per mail, however many tenants are described.</p>
 */
public final class Tenants {
    private static final Tenants NONE = new Tenants(ImmutableList.of());
    private static final String MAILBOX_RULES_AGENT = HeaderValues.normalise("Mailbox Rules Agent");

    /** Parses a description; a {@link MessagingException} naming {@code component} when it is not a valid one. */
    public static Tenants parse(String component, String description) throws MessagingException {
        return new Tenants(TenantsParser.parse(component, description));
    }

    /** No tenant described: nothing is identified, nothing is owned. */
    public static Tenants none() {
        return NONE;
    }

    private final List<Tenant> tenants;
    private final Map<String, Tenant> byName;
    private final Map<String, Tenant> byOrg;
    private final Map<String, Tenant> byDomain;
    private final Map<String, Tenant> byParentDomain;
    private final Optional<Tenant> domainListTenant;
    // One answer per tenant, made once: identifying a mail allocates nothing.
    private final Map<String, TenantIdentity> identities;

    private Tenants(List<Tenant> tenants) {
        this.tenants = ImmutableList.copyOf(tenants);
        Map<String, Tenant> names = new HashMap<>();
        Map<String, Tenant> orgs = new HashMap<>();
        Map<String, Tenant> domains = new HashMap<>();
        Map<String, Tenant> parents = new HashMap<>();
        for (Tenant tenant : tenants) {
            names.put(tenant.name(), tenant);
            tenant.orgs().forEach(org -> orgs.put(org, tenant));
            tenant.domains().forEach(domain -> domains.put(domain, tenant));
            tenant.domainsBelow().forEach(domain -> parents.put(domain, tenant));
        }
        this.byName = ImmutableMap.copyOf(names);
        this.byOrg = ImmutableMap.copyOf(orgs);
        this.byDomain = ImmutableMap.copyOf(domains);
        this.byParentDomain = ImmutableMap.copyOf(parents);
        this.domainListTenant = tenants.stream().filter(Tenant::ownsDomainList).findFirst();
        this.identities = tenants.stream().collect(ImmutableMap.toImmutableMap(Tenant::name, TenantIdentity::identified));
    }

    /**
     * A lone tenant described without {@code orgs} gets these values (the flat {@code tenantOrgs}
     * list, canonical or not); any other description is returned as it is.
     */
    public Tenants withOrgsOfALoneTenant(Collection<String> tenantOrgs) {
        if (tenants.size() != 1 || !tenants.get(0).orgs().isEmpty()) {
            return this;
        }
        ImmutableSet<String> orgs = tenantOrgs.stream()
            .map(Tenants::canonicalOrg)
            .flatMap(Optional::stream)
            .collect(ImmutableSet.toImmutableSet());
        return new Tenants(ImmutableList.of(tenants.get(0).withOrgs(orgs)));
    }

    public List<Tenant> all() {
        return tenants;
    }

    public boolean isEmpty() {
        return tenants.isEmpty();
    }

    public Optional<Tenant> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tenant whose org value this is: a header instance or an XOORG, in any case or IDN form. */
    public Optional<Tenant> byOrg(String value) {
        String normalised = HeaderValues.normalise(value);
        Tenant tenant = byOrg.get(normalised);
        if (tenant != null) {
            return Optional.of(tenant);
        }
        return canonicalOrg(normalised).map(byOrg::get);
    }

    /** An org value as the description keeps it: normalised as a header value, then a canonical domain name; empty when it is none. */
    public static Optional<String> canonicalOrg(String value) {
        return DnsNames.canonical(HeaderValues.normalise(value));
    }

    /**
     * Which of our tenants a mail comes from ({@link TenantIdentity}): the one whose org the SMTP
     * session named (XOORG, the mail attribute {@code org.relayguard.xoorg}) when the session named
     * one, whatever the headers say; otherwise, from the {@code X-OriginatorOrg} instances (each
     * compared as {@link HeaderValues} normalises it, in any case, folding, encoded word or IDN
     * form): one tenant when every instance is that tenant's org, a conflict when they name two or
     * more of our tenants (whatever else they name), nothing when there is none or one is no
     * tenant's. Without XOORG a mailbox-rules forward (every
     * {@code X-MS-Exchange-Generated-Message-Source} is {@code Mailbox Rules Agent}) names no tenant:
     * its {@code X-OriginatorOrg} is the original author's, not the forwarder's.
     *
     * @throws MessagingException when the headers cannot be read (callers fail closed)
     */
    public TenantIdentity identify(Mail mail) throws MessagingException {
        Optional<Attribute> xoorg = mail.getAttribute(MailAttributes.XOORG);
        if (xoorg.isPresent()) {
            Object value = xoorg.get().getValue().getValue();
            Optional<Tenant> tenant = value instanceof String ? byOrg((String) value) : Optional.empty();
            return tenant.map(this::identified).orElse(TenantIdentity.sessionNotOurs());
        }
        if (isMailboxRulesForward(mail)) {
            return TenantIdentity.forward();
        }
        String[] instances = mail.getMessage().getHeader(HeaderNames.ORIGINATOR_ORG);
        if (instances == null || instances.length == 0) {
            return TenantIdentity.noOrg();
        }
        Tenant first = null;
        Set<Tenant> others = null; // only a forgery names a second tenant: no set for the usual mail
        boolean foreign = false;
        for (String instance : instances) {
            Optional<Tenant> tenant = byOrg(instance);
            if (tenant.isEmpty()) {
                foreign = true;
            } else if (first == null) {
                first = tenant.get();
            } else if (!first.name().equals(tenant.get().name())) {
                others = others == null ? new HashSet<>() : others;
                others.add(tenant.get());
            }
        }
        if (others != null) {
            return TenantIdentity.conflict(inDescriptionOrder(first, others));
        }
        return foreign ? TenantIdentity.foreignOrg() : identified(first);
    }

    private TenantIdentity identified(Tenant tenant) {
        return identities.get(tenant.name());
    }

    /** One order for the same tenants, however the instances are ordered: the report groups by it. */
    private List<Tenant> inDescriptionOrder(Tenant first, Set<Tenant> others) {
        return tenants.stream()
            .filter(tenant -> tenant.equals(first) || others.contains(tenant))
            .collect(ImmutableList.toImmutableList());
    }

    /** Every instance of the message-source header says Mailbox Rules Agent, as the seed's exemption reads it. */
    private static boolean isMailboxRulesForward(Mail mail) throws MessagingException {
        List<String> sources = HeaderValues.instances(mail, HeaderNames.MESSAGE_SOURCE);
        return !sources.isEmpty() && sources.stream().allMatch(MAILBOX_RULES_AGENT::equals);
    }

    /**
     * The tenant that lists this domain, by name or by a {@code .below} entry: what the description
     * alone says, without James's DomainList.
     */
    public Optional<Tenant> listedOwner(String domain) {
        Optional<String> canonical = DnsNames.canonical(domain);
        if (canonical.isEmpty()) {
            return Optional.empty();
        }
        String name = canonical.get();
        Tenant owner = byDomain.get(name);
        for (int dot = name.indexOf('.'); owner == null && dot >= 0; dot = name.indexOf('.', dot + 1)) {
            owner = byParentDomain.get(name.substring(dot + 1));
        }
        return Optional.ofNullable(owner);
    }

    /** The tenant whose domains are James's DomainList ({@code @domainlist}), if any. */
    public Optional<Tenant> domainListTenant() {
        return domainListTenant;
    }

    /**
     * The tenant that owns a domain: the one that lists it, otherwise the {@code @domainlist} tenant
     * when James's DomainList holds it.
     *
     * @throws MessagingException when the DomainList cannot be read
     */
    public Optional<Tenant> owner(Domain domain, DomainListLookup domainList) throws MessagingException {
        Optional<Tenant> listed = listedOwner(domain.asString());
        if (listed.isPresent() || domainListTenant.isEmpty()) {
            return listed;
        }
        return domainList.contains(domain) ? domainListTenant : Optional.empty();
    }

    @Override
    public String toString() {
        return "Tenants" + tenants;
    }
}
