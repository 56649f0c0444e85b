package org.relayguard.core.tenants;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;

/**
 * What a mail's evidence says about which of our tenants sent it ({@link Tenants#identify}). Every
 * way of not naming exactly one tenant is kept apart, because the tenant binding treats them
 * differently (docs/tenants.md lists each with the reason):
 *
 * <ul>
 *   <li>{@link Kind#IDENTIFIED}: one tenant of ours;</li>
 *   <li>{@link Kind#CONFLICT}: the {@code X-OriginatorOrg} instances name two or more of our tenants.
 *       The sender writes those headers, so this is forged evidence, and the binding denies it;</li>
 *   <li>{@link Kind#SESSION_NOT_OURS}: the SMTP session's XOORG names no tenant of ours (or cannot be
 *       read). Exchange Online, not the sender, writes it: a tenant that is not ours;</li>
 *   <li>{@link Kind#FORWARD}: no XOORG and a mailbox-rules forward, whose {@code X-OriginatorOrg}
 *       is the original author's, not the forwarder's;</li>
 *   <li>{@link Kind#NO_ORG}: no XOORG and no {@code X-OriginatorOrg};</li>
 *   <li>{@link Kind#FOREIGN_ORG}: no XOORG and an instance that is no tenant's org (the others
 *       naming at most one tenant).</li>
 * </ul>
 */
public final class TenantIdentity {
    public enum Kind {
        IDENTIFIED,
        CONFLICT,
        SESSION_NOT_OURS,
        FORWARD,
        NO_ORG,
        FOREIGN_ORG
    }

    private static final TenantIdentity SESSION_NOT_OURS = new TenantIdentity(Kind.SESSION_NOT_OURS, ImmutableList.of());
    private static final TenantIdentity FORWARD = new TenantIdentity(Kind.FORWARD, ImmutableList.of());
    private static final TenantIdentity NO_ORG = new TenantIdentity(Kind.NO_ORG, ImmutableList.of());
    private static final TenantIdentity FOREIGN_ORG = new TenantIdentity(Kind.FOREIGN_ORG, ImmutableList.of());

    static TenantIdentity identified(Tenant tenant) {
        return new TenantIdentity(Kind.IDENTIFIED, ImmutableList.of(tenant));
    }

    /** @param tenants two or more distinct tenants, in the order the evidence names them */
    static TenantIdentity conflict(List<Tenant> tenants) {
        Preconditions.checkArgument(tenants.size() > 1, "a conflict names two tenants or more");
        return new TenantIdentity(Kind.CONFLICT, ImmutableList.copyOf(tenants));
    }

    static TenantIdentity sessionNotOurs() {
        return SESSION_NOT_OURS;
    }

    static TenantIdentity forward() {
        return FORWARD;
    }

    static TenantIdentity noOrg() {
        return NO_ORG;
    }

    static TenantIdentity foreignOrg() {
        return FOREIGN_ORG;
    }

    private final Kind kind;
    private final List<Tenant> tenants;

    private TenantIdentity(Kind kind, List<Tenant> tenants) {
        this.kind = kind;
        this.tenants = tenants;
    }

    public Kind kind() {
        return kind;
    }

    /** The one tenant identified; empty for every other kind, a conflict included. */
    public Optional<Tenant> tenant() {
        return kind == Kind.IDENTIFIED ? Optional.of(tenants.get(0)) : Optional.empty();
    }

    /** The tenants the evidence names: one when identified, two or more in a conflict, none otherwise. */
    public List<Tenant> tenants() {
        return tenants;
    }

    /** The tenant names for the decision log and the report ({@code contoso}, or {@code contoso,fabrikam} in a conflict); empty when none is named. */
    public Optional<String> names() {
        if (tenants.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(tenants.stream().map(Tenant::name).collect(Collectors.joining(",")));
    }

    /**
     * Whether the tenant binding denies this identity a domain that {@code owner} owns: another
     * tenant identified, a conflict, or a session tenant that is not ours. The kinds the sender
     * picks by writing headers ({@link Kind#NO_ORG}, {@link Kind#FOREIGN_ORG}) are left to the
     * {@code X-OriginatorOrg} rule, which denies both; {@link Kind#FORWARD} keeps the documented
     * mailbox-rules exemption.
     */
    public boolean deniesDomainOf(Tenant owner) {
        switch (kind) {
            case IDENTIFIED:
                return !tenants.get(0).name().equals(owner.name());
            case CONFLICT:
            case SESSION_NOT_OURS:
                return true;
            default:
                return false;
        }
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof TenantIdentity)) {
            return false;
        }
        TenantIdentity identity = (TenantIdentity) other;
        return kind == identity.kind && tenants.equals(identity.tenants);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, tenants);
    }

    @Override
    public String toString() {
        return kind + names().map(names -> "(" + names + ")").orElse("");
    }
}
