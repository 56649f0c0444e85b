package org.relayguard.core.decision;

import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.FromDomains;
import org.relayguard.core.mail.HeaderNames;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.core.tenants.TenantIdentity;
import org.relayguard.core.tenants.Tenants;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.Interner;

/**
 * What a denied mail says about why it was denied, read once from the mail: the facts
 * {@link DenyReason} judges against the allowed values and James's DomainList. Nothing here depends
 * on the allowed values or the DomainList, only on the mail and the tenants description, so a
 * quarantine report can read them once per quarantined mail (which never changes) and judge them
 * again on every request.
 *
 * <p>Every value but the rule's and route's names comes from the sender.</p>
 */
public final class DenyEvidence {
    private static final Splitter LINES = Splitter.onPattern("\r?\n");
    private static final Splitter PAIRS = Splitter.on(' ').omitEmptyStrings();

    /**
     * @param tenants the tenants description, its lone tenant's orgs given ({@link Tenants#withOrgsOfALoneTenant})
     */
    public static DenyEvidence of(Mail mail, Tenants tenants) {
        Optional<String> notice = notice(mail.getErrorMessage());
        String rule = notice.flatMap(line -> pair(line, "rule")).orElse(null);
        String route = notice.flatMap(line -> pair(line, "route")).orElse(null);
        String xoorg = mail.getAttribute(MailAttributes.XOORG)
            .map(attribute -> attribute.getValue().getValue())
            .filter(String.class::isInstance)
            .map(value -> DenyReason.canonical((String) value))
            .orElse(null);
        List<String> orgs;
        try {
            orgs = HeaderValues.instances(mail, HeaderNames.ORIGINATOR_ORG);
        } catch (MessagingException | RuntimeException e) {
            orgs = null;
        }
        TenantIdentity identity;
        try {
            identity = tenants.identify(mail);
        } catch (MessagingException | RuntimeException e) {
            identity = null;
        }
        return new DenyEvidence(rule, route, xoorg, orgs, identity, claimedDomains(mail, rule));
    }

    /** The domains the binding rule bound: the envelope sender's, or the {@code From:} ones. Null when the {@code From:} cannot be read. */
    private static List<Domain> claimedDomains(Mail mail, String rule) {
        if (DenyReason.FROM_RULE.equals(rule)) {
            try {
                return FromDomains.of(mail);
            } catch (MessagingException | RuntimeException e) {
                return null;
            }
        }
        return mail.getMaybeSender().asOptional().map(sender -> List.of(sender.getDomain())).orElse(List.of());
    }

    /** The last notice: a mail routed twice (a release, then a new deny) carries the newest rule last. */
    private static Optional<String> notice(String errorMessage) {
        if (errorMessage == null) {
            return Optional.empty();
        }
        return LINES.splitToStream(errorMessage)
            .filter(line -> line.startsWith(DenyReason.NOTICE_PREFIX))
            .reduce((first, second) -> second);
    }

    private static Optional<String> pair(String notice, String key) {
        return PAIRS.splitToStream(notice.substring("relayguard ".length()))
            .filter(pair -> pair.startsWith(key + "="))
            .map(pair -> pair.substring(key.length() + 1))
            .filter(value -> !value.isEmpty())
            .findFirst();
    }

    // Null stands for "absent" (rule, route, xoorg) or "unreadable" (the rest): no Optional per fact
    // and per mail, since a report keeps one of these for every quarantined mail.
    private final String rule;
    private final String route;
    private final String xoorg;
    private final List<String> originatorOrgs;
    private final TenantIdentity identity;
    private final List<Domain> claimedDomains;

    private DenyEvidence(String rule, String route, String xoorg, List<String> originatorOrgs, TenantIdentity identity,
                         List<Domain> claimedDomains) {
        this.rule = rule;
        this.route = route;
        this.xoorg = xoorg;
        this.originatorOrgs = originatorOrgs;
        this.identity = identity;
        this.claimedDomains = claimedDomains;
    }

    /**
     * The same evidence, each value replaced by the interner's equal instance: mails of one sender
     * share their values instead of holding a copy each.
     */
    @SuppressWarnings("unchecked")
    public DenyEvidence interned(Interner<Object> interner) {
        return new DenyEvidence(intern(interner, rule), intern(interner, route), intern(interner, xoorg),
            originatorOrgs == null ? null : (List<String>) interner.intern(internAll(interner, originatorOrgs)),
            intern(interner, identity),
            claimedDomains == null ? null : (List<Domain>) interner.intern(internAll(interner, claimedDomains)));
    }

    @SuppressWarnings("unchecked")
    private static <T> T intern(Interner<Object> interner, T value) {
        return value == null ? null : (T) interner.intern(value);
    }

    private static <T> ImmutableList<T> internAll(Interner<Object> interner, List<T> values) {
        return values.stream().map(value -> intern(interner, value)).collect(ImmutableList.toImmutableList());
    }

    /** The rule named in the last notice, if any. */
    public Optional<String> rule() {
        return Optional.ofNullable(rule);
    }

    /** The processor named in the last notice, if any. */
    public Optional<String> route() {
        return Optional.ofNullable(route);
    }

    /** The tenant Exchange Online named in the SMTP session (XOORG), canonical. */
    public Optional<String> xoorg() {
        return Optional.ofNullable(xoorg);
    }

    /** The normalised {@code X-OriginatorOrg} instances; empty when the headers cannot be read. */
    public Optional<List<String>> originatorOrgs() {
        return Optional.ofNullable(originatorOrgs);
    }

    /** Which of our tenants the mail comes from; empty when the headers cannot be read. */
    public Optional<TenantIdentity> identity() {
        return Optional.ofNullable(identity);
    }

    /** The domains the binding rules bind (the envelope sender's, or the {@code From:} ones); empty when they cannot be read. */
    public Optional<List<Domain>> claimedDomains() {
        return Optional.ofNullable(claimedDomains);
    }

    /** Characters of sender-written text this evidence holds, one more per value: what keeping it costs, roughly. */
    public int textLength() {
        int length = length(rule) + length(route) + length(xoorg);
        if (originatorOrgs != null) {
            length += originatorOrgs.stream().mapToInt(DenyEvidence::length).sum();
        }
        if (claimedDomains != null) {
            length += claimedDomains.stream().mapToInt(domain -> length(domain.asString())).sum();
        }
        return length;
    }

    private static int length(String value) {
        return value == null ? 0 : value.length() + 1;
    }

    @Override
    public String toString() {
        return "DenyEvidence" + List.of(rule(), route(), xoorg(), originatorOrgs(), identity(), claimedDomains());
    }
}
