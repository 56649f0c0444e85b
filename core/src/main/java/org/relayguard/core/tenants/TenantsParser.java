package org.relayguard.core.tenants;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import javax.mail.MessagingException;

import org.relayguard.core.dns.DnsNames;
import org.relayguard.core.dns.DomainSetEntry;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.parameters.ConditionLists;

import com.google.common.base.CharMatcher;
import com.google.common.base.Splitter;
import com.google.common.base.Strings;
import com.google.common.collect.ImmutableList;
import com.google.common.net.InetAddresses;

/**
 * Reads the tenants description (grammar in {@link Tenants}) and refuses, naming the component
 * and the tenant, anything that would leave a mail's owner or route ambiguous.
 */
final class TenantsParser {
    static final String ORGS = "orgs";
    static final String DOMAINS = "domains";
    static final String SMARTHOST = "smarthost";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Splitter TENANTS = Splitter.on('|').trimResults();
    private static final Splitter CLAUSES = Splitter.on(';').trimResults();
    private static final CharMatcher DIGITS = CharMatcher.inRange('0', '9');

    private final String component;
    // Who claimed what, to refuse the same value in two tenants.
    private final Map<String, String> orgOwners = new HashMap<>();
    private final Map<String, String> domainOwners = new HashMap<>();
    private final Map<String, String> belowOwners = new HashMap<>();
    private Optional<String> domainListOwner = Optional.empty();

    private TenantsParser(String component) {
        this.component = component;
    }

    static List<Tenant> parse(String component, String description) throws MessagingException {
        return new TenantsParser(component).parse(description);
    }

    private List<Tenant> parse(String description) throws MessagingException {
        if (Strings.isNullOrEmpty(description) || description.isBlank()) {
            throw error("the tenants description is empty");
        }
        Map<String, Tenant> tenants = new LinkedHashMap<>();
        int position = 0;
        for (String text : TENANTS.split(description)) {
            position++;
            Tenant tenant = tenant(text, position);
            if (tenants.containsKey(tenant.name())) {
                throw error("tenant '" + tenant.name() + "' is described twice");
            }
            tenants.put(tenant.name(), tenant);
        }
        if (tenants.size() > 1) {
            for (Tenant tenant : tenants.values()) {
                if (tenant.orgs().isEmpty()) {
                    throw error("tenant '" + tenant.name() + "': no orgs (with several tenants, each tenant lists its X-OriginatorOrg values)");
                }
            }
        }
        checkNoDomainClaimedTwice();
        return ImmutableList.copyOf(tenants.values());
    }

    private Tenant tenant(String text, int position) throws MessagingException {
        if (text.isEmpty()) {
            throw error("tenant #" + position + " is empty");
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw error("tenant #" + position + " '" + text + "' has no ':' after its name");
        }
        String name = text.substring(0, colon).trim();
        if (!NAME.matcher(name).matches()) {
            throw error("invalid tenant name '" + name + "' (lower-case letters, digits, '-'; a letter or digit first)");
        }
        Set<String> seen = new LinkedHashSet<>();
        Set<String> orgs = new LinkedHashSet<>();
        Set<String> domains = new LinkedHashSet<>();
        Set<String> below = new LinkedHashSet<>();
        boolean domainList = false;
        String smartHost = null;
        for (String clause : CLAUSES.split(text.substring(colon + 1))) {
            if (clause.isEmpty()) {
                continue;
            }
            String[] keywordAndValue = clause.split("\\s+", 2);
            String keyword = keywordAndValue[0].toLowerCase(Locale.ROOT);
            String value = keywordAndValue.length > 1 ? keywordAndValue[1].trim() : "";
            if (!seen.add(keyword)) {
                throw error(name, "clause '" + keyword + "' given twice");
            }
            switch (keyword) {
                case ORGS:
                    orgs.addAll(orgs(name, value));
                    break;
                case DOMAINS:
                    for (DomainSetEntry entry : entries(name, value)) {
                        if (entry.kind() == DomainSetEntry.Kind.DOMAIN_LIST) {
                            domainList = claimDomainList(name);
                        } else if (entry.kind() == DomainSetEntry.Kind.BELOW) {
                            below.add(claim(belowOwners, entry.domain(), name, "." + entry.domain()));
                        } else {
                            domains.add(claim(domainOwners, entry.domain(), name, entry.domain()));
                        }
                    }
                    break;
                case SMARTHOST:
                    smartHost = smartHost(name, value);
                    break;
                default:
                    throw error(name, "unknown clause '" + keyword + "' (orgs, domains, smarthost)");
            }
        }
        if (seen.isEmpty()) {
            throw error(name, "empty (it needs domains and a smarthost)");
        }
        if (!seen.contains(DOMAINS)) {
            throw error(name, "no domains");
        }
        if (smartHost == null) {
            throw error(name, "no smarthost");
        }
        return new Tenant(name, orgs, domains, below, domainList, smartHost);
    }

    private Set<String> orgs(String tenant, String list) throws MessagingException {
        Set<String> orgs = new LinkedHashSet<>();
        for (String value : values(tenant, ORGS, list)) {
            String org = DnsNames.canonical(HeaderValues.normalise(value))
                .orElseThrow(() -> error(tenant, "org '" + value + "' is not a domain name"));
            String owner = orgOwners.putIfAbsent(org, tenant);
            if (owner != null) {
                throw error(tenant, "org '" + org + "' is listed twice" + (owner.equals(tenant) ? "" : " (also in tenant '" + owner + "')"));
            }
            orgs.add(org);
        }
        return orgs;
    }

    private List<DomainSetEntry> entries(String tenant, String list) throws MessagingException {
        ImmutableList.Builder<DomainSetEntry> entries = ImmutableList.builder();
        for (String value : values(tenant, DOMAINS, list)) {
            entries.add(DomainSetEntry.parse(value)
                .orElseThrow(() -> error(tenant, "invalid domain entry '" + value + "' (a domain, .below-a-domain or @domainlist)")));
        }
        return entries.build();
    }

    private List<String> values(String tenant, String clause, String list) throws MessagingException {
        List<String> values = ConditionLists.split(list);
        if (list.isEmpty() || values.contains("")) {
            throw error(tenant, "empty value in clause '" + clause + " " + list + "'");
        }
        return values;
    }

    private boolean claimDomainList(String tenant) throws MessagingException {
        if (domainListOwner.isPresent() && !domainListOwner.get().equals(tenant)) {
            throw error(tenant, DomainSetEntry.DOMAIN_LIST_KEYWORD + " is claimed by tenant '" + domainListOwner.get() + "' too");
        }
        domainListOwner = Optional.of(tenant);
        return true;
    }

    private String claim(Map<String, String> owners, String domain, String tenant, String entry) throws MessagingException {
        String owner = owners.putIfAbsent(domain, tenant);
        if (owner != null && !owner.equals(tenant)) {
            throw error(tenant, "domain '" + entry + "' is claimed by tenant '" + owner + "' too");
        }
        return domain;
    }

    /**
     * A domain that one tenant lists and another covers with a {@code .below} entry, or two
     * {@code .below} entries one inside the other, would have two owners: refused.
     */
    private void checkNoDomainClaimedTwice() throws MessagingException {
        for (Map.Entry<String, String> exact : domainOwners.entrySet()) {
            checkParents(exact.getKey(), exact.getKey(), exact.getValue());
        }
        for (Map.Entry<String, String> below : belowOwners.entrySet()) {
            checkParents(below.getKey(), "." + below.getKey(), below.getValue());
        }
    }

    private void checkParents(String domain, String entry, String tenant) throws MessagingException {
        for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
            String parent = domain.substring(dot + 1);
            String owner = belowOwners.get(parent);
            if (owner != null && !owner.equals(tenant)) {
                throw error(tenant, "domain '" + entry + "' is also claimed by tenant '" + owner + "' (." + parent + ")");
            }
        }
    }

    private String smartHost(String tenant, String value) throws MessagingException {
        if (!isHostAndPort(value)) {
            throw error(tenant, "invalid smarthost '" + value + "' (host or host:port)");
        }
        return value;
    }

    private static boolean isHostAndPort(String value) {
        String host = value;
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0 || !InetAddresses.isInetAddress(value.substring(1, end))) {
                return false;
            }
            return end == value.length() - 1 || isPort(value.substring(end + 1));
        }
        int colon = value.lastIndexOf(':');
        if (colon >= 0) {
            if (!isPort(value.substring(colon))) {
                return false;
            }
            host = value.substring(0, colon);
        }
        return InetAddresses.isInetAddress(host) && !host.contains(":") || DnsNames.canonical(host).isPresent();
    }

    /** {@code :} followed by a port number. */
    private static boolean isPort(String colonAndPort) {
        String port = colonAndPort.substring(1);
        if (!colonAndPort.startsWith(":") || port.isEmpty() || port.length() > 5 || !DIGITS.matchesAllOf(port)) {
            return false;
        }
        int number = Integer.parseInt(port);
        return number > 0 && number <= 65535;
    }

    private MessagingException error(String tenant, String problem) {
        return error("tenant '" + tenant + "': " + problem);
    }

    private MessagingException error(String problem) {
        return new MessagingException(component + ": " + problem);
    }
}
