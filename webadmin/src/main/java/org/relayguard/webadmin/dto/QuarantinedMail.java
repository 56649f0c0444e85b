package org.relayguard.webadmin.dto;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.relayguard.core.decision.DenyReason;
import org.relayguard.core.mail.Utf8Addresses;
import org.relayguard.webadmin.quarantine.MailSummary;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One row of the review page's table: what the operator filters and judges a quarantined mail by.
 * Every text but the key and the rule's names comes from the sender: the page shows it as text.
 */
@JsonPropertyOrder({"key", "time", "originatorOrg", "sender", "senderDomain", "recipients", "rule", "condition", "tenant", "subject"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class QuarantinedMail {
    static final int MAX_TEXT_LENGTH = 256;

    public static QuarantinedMail of(String key, Mail mail, DenyReason reason) {
        // As the client wrote it: in UTF-8 for an SMTPUTF8 sender (the domain column stays the A-label the rules use).
        Optional<String> sender = mail.getMaybeSender().asOptional().map(address -> Utf8Addresses.sender(mail));
        return new QuarantinedMail(key, seen(mail),
            reason.originatorOrgs().filter(orgs -> !orgs.isEmpty()).map(orgs -> cut(String.join(", ", orgs))).orElse(null),
            sender.map(QuarantinedMail::cut).orElse(null),
            mail.getMaybeSender().asOptional().map(address -> address.getDomain().asString().toLowerCase(Locale.ROOT)).orElse(null),
            mail.getRecipients().size(),
            reason.rule().orElse(null), reason.condition(), reason.tenant().orElse(null), subject(mail));
    }

    /** The row as the summary alone gives it: no sender, recipients nor subject, which no filter tests. */
    public static QuarantinedMail of(MailSummary summary, DenyReason reason) {
        return new QuarantinedMail(summary.key(), summary.time(), summary.originatorOrgText(),
            null, summary.senderDomain().orElse(null), 0,
            reason.rule().orElse(null), reason.condition(), reason.tenant().orElse(null), null);
    }

    /** When James last updated the mail: when it was quarantined. */
    public static Instant seen(Mail mail) {
        return Optional.ofNullable(mail.getLastUpdated()).map(date -> date.toInstant()).orElse(Instant.EPOCH);
    }

    public static String cut(String value) {
        return value.length() > MAX_TEXT_LENGTH ? value.substring(0, MAX_TEXT_LENGTH) + "..." : value;
    }

    private static String subject(Mail mail) {
        try {
            return Optional.ofNullable(mail.getMessage()).map(message -> {
                try {
                    return message.getSubject();
                } catch (MessagingException e) {
                    return null;
                }
            }).map(QuarantinedMail::cut).orElse(null);
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    public final String key;
    public final Instant time;
    public final String originatorOrg;
    public final String sender;
    public final String senderDomain;
    public final int recipients;
    public final String rule;
    public final String condition;
    public final String tenant;
    public final String subject;

    QuarantinedMail(String key, Instant time, String originatorOrg, String sender, String senderDomain, int recipients,
                    String rule, String condition, String tenant, String subject) {
        this.key = key;
        this.time = time;
        this.originatorOrg = originatorOrg;
        this.sender = sender;
        this.senderDomain = senderDomain;
        this.recipients = recipients;
        this.rule = rule;
        this.condition = condition;
        this.tenant = tenant;
        this.subject = subject;
    }

    /** The value a filter of this name tests; null when the mail has none. */
    String field(String name) {
        switch (name) {
            case MailFilter.ORIGINATOR_ORG:
                return originatorOrg;
            case MailFilter.SENDER_DOMAIN:
                return senderDomain;
            case MailFilter.RULE:
                return rule;
            case MailFilter.CONDITION:
                return condition;
            case MailFilter.TENANT:
                return tenant;
            default:
                throw new IllegalArgumentException(name);
        }
    }
}
