package org.relayguard.core.decision;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.james.core.Domain;
import org.apache.mailet.Mail;
import org.relayguard.core.dns.DnsNames;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.tenants.TenantIdentity;
import org.relayguard.core.tenants.Tenants;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableSet;

/**
 * Which Relay Guard rule sent a mail to the quarantine, and why its condition holds: what the
 * decision log writes and the quarantine report counts.
 *
 * <p>James's composite matchers do not say which part matched, so each rule names itself where it
 * routes the mail, with James's own {@code ToProcessor} notice, which the mail keeps (in its error
 * message) into the quarantine:</p>
 *
 * <pre>{@code
 * <mailet match="m365-relaydeny" class="ToProcessor">
 *     <processor>m365_relaydeny</processor>
 *     <notice>relayguard rule=x-originatororg route=m365_mail</notice>
 * </mailet>
 * }</pre>
 *
 * <p>The reason inside the rule is then judged again from the mail and the allowed values (the
 * same {@code tenantOrgs}), with the rule's own semantics: {@code x-originatororg} is
 * {@link OrgClause}, {@code xoorg} the session's tenant ({@code XoorgNotEquals}),
 * {@code tenant-binding} the tenant the mail comes from against the owner of its envelope sender's
 * domain ({@code SenderNotOwnedByTenant}: {@code tenant-mismatch}, {@code tenant-conflict} when the
 * {@code X-OriginatorOrg} instances name several of our tenants, {@code domain-unowned} for a
 * DomainList domain no tenant owns), {@code from-binding} the same for the {@code From:}
 * domains ({@code FromNotOwnedByTenant}), {@code secret-header} a missing secret. A reason that no
 * longer holds ({@code org-allowed}, {@code xoorg-allowed}, {@code tenant-unidentified},
 * {@code tenant-allowed}) means the rule failed and its {@code onMatchException} quarantined the
 * mail, or that the configuration changed since. A mail without notice is judged by the
 * {@code x-originatororg} rule, the only one before rules named themselves.</p>
 *
 * <p>With the tenants description ({@link Tenants}), every reason also names the tenant the mail
 * comes from, or the tenants in conflict ({@link #tenant()}), whatever its rule.</p>
 */
public final class DenyReason {
    public static final String NOTICE_PREFIX = "relayguard rule=";
    public static final String ORG_RULE = "x-originatororg";
    public static final String XOORG_RULE = "xoorg";
    public static final String SECRET_RULE = "secret-header";
    public static final String TENANT_RULE = "tenant-binding";
    public static final String FROM_RULE = "from-binding";

    public static final String XOORG_ABSENT = "xoorg-absent";
    public static final String XOORG_NOT_ALLOWED = "xoorg-not-allowed";
    public static final String XOORG_ALLOWED = "xoorg-allowed";
    /** The identified tenant does not own the envelope sender's (from-binding: a From:) domain: another of our tenants does. */
    public static final String TENANT_MISMATCH = "tenant-mismatch";
    /** The {@code X-OriginatorOrg} instances name two or more of our tenants, and the domain is one of theirs. */
    public static final String TENANT_CONFLICT = "tenant-conflict";
    /** The domain is in James's DomainList but no tenant owns it, so no tenant may send as it. */
    public static final String DOMAIN_UNOWNED = "domain-unowned";
    /** No tenant identified: the binding does not hold (the rule failed, or the tenants changed). */
    public static final String TENANT_UNIDENTIFIED = "tenant-unidentified";
    /** The identified tenant may send as this sender: the binding does not hold. */
    public static final String TENANT_ALLOWED = "tenant-allowed";
    public static final String SECRET_MISSING = "secret-missing";
    public static final String HEADERS_UNREADABLE = "headers-unreadable";
    public static final String UNKNOWN_RULE = "unknown-rule";

    /** Every condition, in the order the report lists them. */
    public static final List<String> CONDITIONS = List.of(
        OrgClause.ABSENT.token(), OrgClause.NOT_ALLOWED.token(), OrgClause.MIXED_INSTANCES.token(), OrgClause.ALLOWED.token(),
        XOORG_ABSENT, XOORG_NOT_ALLOWED, XOORG_ALLOWED, TENANT_MISMATCH, TENANT_CONFLICT, DOMAIN_UNOWNED, TENANT_UNIDENTIFIED,
        TENANT_ALLOWED,
        SECRET_MISSING, HEADERS_UNREADABLE, UNKNOWN_RULE);

    private static final Splitter LINES = Splitter.onPattern("\r?\n");

    /**
     * @param allowedOrgs the normalised allowed values ({@link HeaderValues#normaliseList} of {@code tenantOrgs})
     */
    public static DenyReason of(Mail mail, Collection<String> allowedOrgs) {
        return of(mail, allowedOrgs, Tenants.none());
    }

    /**
     * @param allowedOrgs the normalised allowed values ({@link HeaderValues#normaliseList} of {@code tenantOrgs})
     * @param tenants the tenants description, its lone tenant's orgs given ({@link Tenants#withOrgsOfALoneTenant})
     */
    public static DenyReason of(Mail mail, Collection<String> allowedOrgs, Tenants tenants) {
        return of(mail, allowedOrgs, tenants, domain -> false);
    }

    /**
     * @param allowedOrgs the normalised allowed values ({@link HeaderValues#normaliseList} of {@code tenantOrgs})
     * @param tenants the tenants description, its lone tenant's orgs given ({@link Tenants#withOrgsOfALoneTenant})
     * @param inDomainList whether James's DomainList holds a domain: tells a binding denial of a
     *                     domain no tenant owns ({@value #DOMAIN_UNOWNED}) from a rule failure
     */
    public static DenyReason of(Mail mail, Collection<String> allowedOrgs, Tenants tenants, Predicate<Domain> inDomainList) {
        return of(DenyEvidence.of(mail, tenants), allowedOrgs, tenants, inDomainList);
    }

    /**
     * The reason judged from evidence read earlier ({@link DenyEvidence#of}, with the same tenants).
     *
     * @param allowedOrgs the normalised allowed values ({@link HeaderValues#normaliseList} of {@code tenantOrgs})
     * @param tenants the tenants description the evidence was read with
     * @param inDomainList whether James's DomainList holds a domain: tells a binding denial of a
     *                     domain no tenant owns ({@value #DOMAIN_UNOWNED}) from a rule failure
     */
    public static DenyReason of(DenyEvidence evidence, Collection<String> allowedOrgs, Tenants tenants, Predicate<Domain> inDomainList) {
        return new DenyReason(evidence, tenants, inDomainList, allowedOrgs);
    }

    /** The mail's error message without Relay Guard's rule notices; empty when nothing else is left. */
    public static Optional<String> withoutNotice(String errorMessage) {
        if (errorMessage == null) {
            return Optional.empty();
        }
        String rest = LINES.splitToStream(errorMessage)
            .filter(line -> !line.startsWith(NOTICE_PREFIX))
            .collect(Collectors.joining("\r\n"));
        return rest.isEmpty() ? Optional.empty() : Optional.of(rest);
    }

    static String canonical(String value) {
        String normalised = HeaderValues.normalise(value);
        return DnsNames.canonical(normalised).orElse(normalised);
    }

    // The facts judged; the reason only adds its judgement of them.
    private final DenyEvidence evidence;
    private final String condition;

    private DenyReason(DenyEvidence evidence, Tenants tenants, Predicate<Domain> inDomainList, Collection<String> allowedOrgs) {
        this.evidence = evidence;
        this.condition = condition(allowedOrgs, tenants, inDomainList);
    }

    private String condition(Collection<String> allowedOrgs, Tenants tenants, Predicate<Domain> inDomainList) {
        switch (rule().orElse(ORG_RULE)) {
            case ORG_RULE:
                return originatorOrgs().map(orgs -> OrgClause.evaluate(orgs, allowedOrgs).token()).orElse(HEADERS_UNREADABLE);
            case XOORG_RULE:
                if (xoorg().isEmpty()) {
                    return XOORG_ABSENT;
                }
                return xoorgAllowed(allowedOrgs) ? XOORG_ALLOWED : XOORG_NOT_ALLOWED;
            case TENANT_RULE:
            case FROM_RULE:
                return evidence.identity().flatMap(identified -> evidence.claimedDomains().map(domains -> tenantCondition(identified, domains, tenants, inDomainList)))
                    .orElse(HEADERS_UNREADABLE);
            case SECRET_RULE:
                return SECRET_MISSING;
            default:
                return UNKNOWN_RULE;
        }
    }

    /**
     * The binding's own judgement ({@code TenantBindingMatcher}), replayed: a domain is owned by the
     * tenant that lists it, otherwise by the {@code @domainlist} tenant (the rule only denies a
     * domain some tenant owns, or one the DomainList holds while no tenant owns it).
     */
    private static String tenantCondition(TenantIdentity identity, List<Domain> domains, Tenants tenants, Predicate<Domain> inDomainList) {
        boolean denied = domains.stream()
            .flatMap(domain -> tenants.listedOwner(domain.asString()).or(tenants::domainListTenant).stream())
            .anyMatch(identity::deniesDomainOf);
        if (denied) {
            return identity.kind() == TenantIdentity.Kind.CONFLICT ? TENANT_CONFLICT : TENANT_MISMATCH;
        }
        boolean unowned = tenants.domainListTenant().isEmpty() && domains.stream()
            .anyMatch(domain -> tenants.listedOwner(domain.asString()).isEmpty() && inDomainList.test(domain));
        if (unowned) {
            return DOMAIN_UNOWNED;
        }
        return identity.tenant().isPresent() ? TENANT_ALLOWED : TENANT_UNIDENTIFIED;
    }

    private boolean xoorgAllowed(Collection<String> allowedOrgs) {
        Set<String> canonical = allowedOrgs.stream().map(DenyReason::canonical).collect(ImmutableSet.toImmutableSet());
        return xoorg().map(canonical::contains).orElse(false);
    }

    /**
     * Whether the mail's rule would deny it with these allowed values: the what-if of an
     * allowed-list change. A mail whose headers cannot be read, a missing secret, a tenant-binding
     * denial (org values do not change who owns a domain) or an unknown rule stays denied whatever
     * the list.
     */
    public boolean deniedWith(Collection<String> allowedOrgs) {
        switch (rule().orElse(ORG_RULE)) {
            case ORG_RULE:
                return originatorOrgs().map(orgs -> OrgClause.evaluate(orgs, allowedOrgs).denies()).orElse(true);
            case XOORG_RULE:
                return !xoorgAllowed(allowedOrgs);
            default:
                return true;
        }
    }

    /** The allowed-list values this mail's rule judged and did not allow: the candidates to review. */
    public Set<String> notAllowedValues(Collection<String> allowedOrgs) {
        switch (rule().orElse(ORG_RULE)) {
            case ORG_RULE:
                return originatorOrgs().orElse(List.of()).stream()
                    .filter(org -> !allowedOrgs.contains(org))
                    .collect(ImmutableSet.toImmutableSet());
            case XOORG_RULE:
                return xoorg().filter(value -> !xoorgAllowed(allowedOrgs)).map(ImmutableSet::of).orElse(ImmutableSet.of());
            default:
                return ImmutableSet.of();
        }
    }

    /** The rule named in the notice ({@value #ORG_RULE}, {@value #XOORG_RULE}, {@value #TENANT_RULE}, {@value #FROM_RULE}, {@value #SECRET_RULE}), if any. */
    public Optional<String> rule() {
        return evidence.rule();
    }

    /** The processor whose rule sent the mail, as the notice says. */
    public Optional<String> route() {
        return evidence.route();
    }

    /** The reason, e.g. {@code org-not-allowed}, {@code xoorg-absent}, {@code secret-missing}. */
    public String condition() {
        return condition;
    }

    /** The tenant Exchange Online named in the SMTP session (XOORG), canonical. */
    public Optional<String> xoorg() {
        return evidence.xoorg();
    }

    /** The normalised {@code X-OriginatorOrg} instances; empty when the headers cannot be read. */
    public Optional<List<String>> originatorOrgs() {
        return evidence.originatorOrgs();
    }

    /**
     * The name of the tenant the mail comes from ({@link Tenants#identify}), or the names of the
     * tenants in conflict ({@code contoso,fabrikam}); empty when none is named.
     */
    public Optional<String> tenant() {
        return evidence.identity().flatMap(TenantIdentity::names);
    }

    @Override
    public String toString() {
        return "DenyReason" + Arrays.asList(rule(), route(), condition, xoorg(), originatorOrgs(), tenant());
    }
}
