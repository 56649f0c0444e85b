package org.relayguard.mailets;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.relayguard.core.decision.DecisionLog;
import org.relayguard.core.decision.DenyReason;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.parameters.StrictBoolean;
import org.relayguard.core.tenants.Tenant;
import org.relayguard.core.tenants.Tenants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableSet;

/**
 * Writes one line per Relay Guard decision to the decision log ({@link DecisionLog}, the logger
 * {@code relayguard.decisions}) and counts it in James's metrics. Placed in the
 * {@code m365_relaydeny} processor (after the quarantine, before {@code SwitchableNull}) with {@code decision=deny}, and in {@code m365_release} with
 * {@code decision=release}. It never reads the body, and changes nothing on the mail but its
 * error message (below).
 *
 * <p>The line and its keys: {@link DecisionLog}.</p>
 *
 * <p>{@code tls} is the TLS protocol of the SMTP session the mail came in on ({@code TLSv1.3},
 * {@code none} in clear text), from the mail attribute {@code org.relayguard.tls} that the SMTP
 * handler {@code TlsSessionAttribute} sets ({@code MailAttributes.TLS}); {@code -} when the listener
 * does not record it.</p>
 *
 * <p>{@code rule} and {@code route} come from the notice that the rule's {@code ToProcessor} left on
 * the mail ({@link DenyReason}); {@code condition} of a deny is the reason inside that rule, judged
 * again here against {@code allowedOrgs}, which must be the rule's values (the sample configuration
 * passes the same {@code tenantOrgs} entity). A release keeps the rule of its deny and has the
 * condition {@code operator-release}. Once logged, the notice is taken off the mail's error message,
 * so that it never reaches a bounce; the quarantined copy keeps it.</p>
 *
 * <p>{@code tenant} names the tenant the mail comes from ({@code Tenants.identify}: XOORG, otherwise
 * every {@code X-OriginatorOrg} instance), from the optional parameter {@code tenants}, the tenants
 * description (the sample configuration passes the {@code tenants} entity); {@code -} when none is
 * identified or the parameter is not given. With several tenants, {@code allowedOrgs} must be exactly
 * the tenants' orgs together: a value in one and not the other stops James at start-up. A lone
 * tenant described without orgs has the {@code allowedOrgs} values, which a release may then give
 * too (for this purpose only).</p>
 *
 * <p>Counters: {@code relayguard_denied}, {@code relayguard_discarded} (a deny in enforce mode)
 * and {@code relayguard_released}. {@code enforce} must be the expression that
 * {@code SwitchableNull}'s {@code enabled} gets, so that mode and discard agree.</p>
 *
 * <pre>{@code
 * <mailet match="All" class="org.relayguard.mailets.LogDecision">
 *     <decision>deny</decision>
 *     <profile>hardened</profile>
 *     <enforce>${env:RELAYGUARD_ENFORCE:-false}</enforce>
 *     <allowedOrgs>contoso.onmicrosoft.com, contoso.com</allowedOrgs>
 *     <tenants>contoso: domains @domainlist; smarthost contoso-com.mail.protection.outlook.com</tenants>
 * </mailet>
 * }</pre>
 */
public class LogDecision extends GenericMailet {
    public static final String DENIED_METRIC = "relayguard_denied";
    public static final String DISCARDED_METRIC = "relayguard_discarded";
    public static final String RELEASED_METRIC = "relayguard_released";

    static final String NAME = "LogDecision";
    static final String DECISION = "decision";
    static final String PROFILE = "profile";
    static final String ENFORCE = "enforce";
    static final String ALLOWED_ORGS = "allowedOrgs";
    static final String TENANTS = "tenants";
    static final String RELEASE_CONDITION = "operator-release";

    private static final Logger DECISIONS = LoggerFactory.getLogger(DecisionLog.LOGGER_NAME);
    private static final Logger LOGGER = LoggerFactory.getLogger(LogDecision.class);
    private static final CharMatcher LABEL_CHARS = CharMatcher.inRange('!', '~').and(CharMatcher.noneOf("\"\\=")).precomputed();

    enum Decision {
        DENY, RELEASE
    }

    private final DomainListLookup domainList;
    private final Metric denied;
    private final Metric discarded;
    private final Metric released;
    private Decision decision;
    private String profile;
    private boolean enforce;
    private List<String> allowedOrgs;
    private Tenants tenants = Tenants.none();

    @Inject
    public LogDecision(MetricFactory metricFactory, DomainList domainList) {
        this.domainList = new DomainListLookup(domainList, NAME);
        this.denied = metricFactory.generate(DENIED_METRIC);
        this.discarded = metricFactory.generate(DISCARDED_METRIC);
        this.released = metricFactory.generate(RELEASED_METRIC);
    }

    @Override
    public void init() throws MessagingException {
        try {
            checkInitParameters(ImmutableSet.of(DECISION, PROFILE, ENFORCE, ALLOWED_ORGS, TENANTS));
        } catch (MessagingException e) {
            throw new MessagingException(NAME + ": " + e.getMessage());
        }
        decision = parseDecision(required(DECISION));
        profile = label(PROFILE);
        enforce = parseEnforce(required(ENFORCE));
        Optional<String> orgs = getInitParameterAsOptional(ALLOWED_ORGS);
        Optional<String> description = getInitParameterAsOptional(TENANTS);
        allowedOrgs = List.of();
        if (decision == Decision.DENY) {
            orgs.orElseThrow(() -> new MessagingException(NAME + ": parameter '" + ALLOWED_ORGS + "' is required for decision=deny (the rule's X-OriginatorOrg values)"));
        } else if (orgs.isPresent() && description.isEmpty()) {
            throw new MessagingException(NAME + ": parameter '" + ALLOWED_ORGS + "' is only for decision=deny, or with '" + TENANTS + "'");
        }
        if (orgs.isPresent()) {
            allowedOrgs = HeaderValues.normaliseList(orgs.get());
            if (allowedOrgs.isEmpty()) {
                throw new MessagingException(NAME + ": parameter '" + ALLOWED_ORGS + "' has no value");
            }
        }
        if (description.isPresent()) {
            Tenants described = Tenants.parse(NAME, description.get());
            tenants = described.withOrgsOfALoneTenant(allowedOrgs);
            // A lone tenant described without orgs has the allowed values by definition: nothing to compare.
            if (tenants == described) {
                checkAllowedOrgsAreTheTenantsOrgs();
            }
        }
    }

    /**
     * The rules test {@code tenantOrgs} while the binding and this log name tenants by their orgs: a
     * value in one and not the other would mean a tenant whose mail the rules deny, or an allowed org
     * that is no tenant's.
     */
    private void checkAllowedOrgsAreTheTenantsOrgs() throws MessagingException {
        if (allowedOrgs.isEmpty()) {
            return;
        }
        Set<String> allowed = allowedOrgs.stream()
            .map(value -> Tenants.canonicalOrg(value).orElse(value))
            .collect(ImmutableSet.toImmutableSet());
        for (Tenant tenant : tenants.all()) {
            for (String org : tenant.orgs()) {
                if (!allowed.contains(org)) {
                    throw new MessagingException(NAME + ": org '" + org + "' of tenant '" + tenant.name() + "' is not in '" + ALLOWED_ORGS
                        + "' (tenantOrgs must list every tenant's orgs)");
                }
            }
        }
        for (String value : allowedOrgs) {
            if (tenants.byOrg(value).isEmpty()) {
                throw new MessagingException(NAME + ": '" + ALLOWED_ORGS + "' value '" + value + "' is the org of no tenant in '" + TENANTS + "'");
            }
        }
    }

    private String required(String parameter) throws MessagingException {
        return getInitParameterAsOptional(parameter)
            .map(String::trim)
            .orElseThrow(() -> new MessagingException(NAME + ": parameter '" + parameter + "' is required"));
    }

    private String label(String parameter) throws MessagingException {
        String value = required(parameter);
        if (!LABEL_CHARS.matchesAllOf(value)) {
            throw new MessagingException(NAME + ": parameter '" + parameter + "' must be one word without quotes or '=', got '" + value + "'");
        }
        return value;
    }

    private static Decision parseDecision(String value) throws MessagingException {
        switch (value.toLowerCase(Locale.US)) {
            case "deny":
                return Decision.DENY;
            case "release":
                return Decision.RELEASE;
            default:
                throw new MessagingException(NAME + ": parameter '" + DECISION + "' must be 'deny' or 'release', got '" + value + "'");
        }
    }

    private static boolean parseEnforce(String value) throws MessagingException {
        return StrictBoolean.parse(value)
            .orElseThrow(() -> new MessagingException(NAME + ": parameter '" + ENFORCE + "' must be 'true' or 'false', got '" + value + "'"));
    }

    @Override
    public void service(Mail mail) {
        DECISIONS.info(line(mail));
        mail.setErrorMessage(DenyReason.withoutNotice(mail.getErrorMessage()).orElse(null));
        if (decision == Decision.RELEASE) {
            released.increment();
            return;
        }
        denied.increment();
        if (enforce) {
            discarded.increment();
        }
    }

    private String line(Mail mail) {
        return DecisionLog.line(decision.name().toLowerCase(Locale.US), action(),
            decision == Decision.RELEASE ? Optional.of(RELEASE_CONDITION) : Optional.empty(),
            enforce, profile, mail, DenyReason.of(mail, allowedOrgs, tenants, this::inDomainList));
    }

    /** A DomainList that cannot be read only costs the line its {@code domain-unowned} (the rule itself failed closed). */
    private boolean inDomainList(Domain domain) {
        try {
            return domainList.contains(domain);
        } catch (MessagingException e) {
            LOGGER.warn("{}: {}", NAME, e.getMessage(), e);
            return false;
        }
    }

    private String action() {
        if (decision == Decision.RELEASE) {
            return "deliver";
        }
        return DecisionLog.denyAction(enforce);
    }

    @Override
    public String getMailetInfo() {
        return NAME + " (decision=" + decision + ", enforce=" + enforce + ")";
    }
}
