package org.relayguard.core.decision;

import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.relayguard.core.mail.HeaderNames;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.core.mail.Utf8Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.base.Joiner;

/**
 * The decision log: the logger every Relay Guard decision is written to, and the line of a decision
 * about a mail. The mailet {@code org.relayguard.mailets.LogDecision} writes a line for each deny and
 * release, the review page's delete ({@code decision=delete}) one for each mail it deletes, so that
 * every line has the same keys and the same escaping ({@link DecisionLine}).
 *
 * <p>The line, as {@code key=value}: {@code decision}, {@code action}, {@code mode},
 * {@code profile}, {@code route}, {@code rule}, {@code condition}, {@code mail},
 * {@code remoteHost}, {@code remoteIp}, {@code sender}, {@code recipients},
 * {@code originatorOrg}, {@code messageSource}, {@code xoorg}, {@code tenant}, {@code tls}. The
 * {@code sender} is the one the client wrote: in UTF-8 when it came with SMTPUTF8 ({@link Utf8Addresses}).</p>
 */
public final class DecisionLog {
    /** The logger of the decision log; {@code conf/logback.xml} writes it to {@code logs/relayguard-decisions.log}. */
    public static final String LOGGER_NAME = "relayguard.decisions";
    /** The {@code mode} of a gateway that discards what it denies. */
    public static final String ENFORCE_MODE = "enforce";
    /** The {@code mode} of a gateway that quarantines what it denies and relays it all the same. */
    public static final String AUDIT_MODE = "audit";

    private static final Logger LOGGER = LoggerFactory.getLogger(DecisionLog.class);
    // The name in the warnings, as they read before this class left LogDecision.
    private static final String NAME = "LogDecision";

    private DecisionLog() {
    }

    /** {@value #ENFORCE_MODE} or {@value #AUDIT_MODE}. */
    public static String mode(boolean enforce) {
        return enforce ? ENFORCE_MODE : AUDIT_MODE;
    }

    /** The {@code action} of a deny: the mail is quarantined, then discarded in enforce mode or relayed in audit mode. */
    public static String denyAction(boolean enforce) {
        return enforce ? "quarantine+discard" : "quarantine+relay";
    }

    /**
     * A line of the decision log for a decision about a mail.
     *
     * @param condition the condition to write in place of the reason's (a release's {@code operator-release})
     */
    public static String line(String decision, String action, Optional<String> condition, boolean enforce, String profile,
                              Mail mail, DenyReason reason) {
        Optional<List<String>> messageSource = headerInstances(mail, HeaderNames.MESSAGE_SOURCE);
        return new DecisionLine()
            .add("decision", decision)
            .add("action", action)
            .add("mode", mode(enforce))
            .add("profile", profile)
            .add("route", reason.route())
            .add("rule", reason.rule())
            .add("condition", condition.orElse(reason.condition()))
            .add("mail", Optional.ofNullable(mail.getName()))
            .add("remoteHost", Optional.ofNullable(mail.getRemoteHost()))
            .add("remoteIp", Optional.ofNullable(mail.getRemoteAddr()))
            .add("sender", Utf8Addresses.sender(mail))
            .add("recipients", mail.getRecipients().size())
            .add("originatorOrg", reason.originatorOrgs().flatMap(DecisionLog::joined))
            .add("messageSource", messageSource.flatMap(DecisionLog::joined))
            .add("xoorg", reason.xoorg())
            .add("tenant", reason.tenant())
            .add("tls", tls(mail))
            .toString();
    }

    /** Absent when the listener does not record it; a value that is not a String is logged as such. */
    private static Optional<String> tls(Mail mail) {
        return mail.getAttribute(MailAttributes.TLS)
            .map(attribute -> attribute.getValue().getValue())
            .map(value -> value instanceof String ? (String) value : "not-a-string");
    }

    /** Empty when the headers cannot be read (the rule treats that mail as suspicious too). */
    private static Optional<List<String>> headerInstances(Mail mail, String header) {
        try {
            return Optional.of(HeaderValues.instances(mail, header));
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot read header '{}' of mail {}", NAME, header, mail.getName(), e);
            return Optional.empty();
        }
    }

    private static Optional<String> joined(List<String> instances) {
        return instances.isEmpty() ? Optional.empty() : Optional.of(Joiner.on(", ").join(instances));
    }
}
