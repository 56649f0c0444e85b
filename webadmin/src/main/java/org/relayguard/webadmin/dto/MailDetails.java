package org.relayguard.webadmin.dto;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import javax.mail.Header;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Mail;
import org.relayguard.core.decision.DecisionLog;
import org.relayguard.core.decision.DenyReason;
import org.relayguard.webadmin.configuration.GatewayMode;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One quarantined mail as the review page opens it: its envelope, its headers as the sender wrote
 * them (never the body), and its decision line, the line {@code LogDecision} writes for it, judged
 * with the running configuration (its mode and allowed values today, which may differ from those of
 * the day it was denied).
 */
@JsonPropertyOrder({"key", "time", "state", "sender", "recipients", "remoteHost", "remoteAddr", "rule", "route", "condition",
    "tenant", "xoorg", "subject", "decisionLine", "headers", "headersCut"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class MailDetails {
    static final int MAX_HEADERS = 200;
    static final int MAX_HEADER_LENGTH = 4_000;

    @JsonPropertyOrder({"name", "value"})
    public static final class HeaderField {
        public final String name;
        public final String value;

        HeaderField(String name, String value) {
            this.name = name;
            this.value = value;
        }
    }

    public static MailDetails of(String key, Mail mail, DenyReason reason, GatewayMode gateway) {
        QuarantinedMail row = QuarantinedMail.of(key, mail, reason);
        List<HeaderField> headers = new ArrayList<>();
        boolean cut = false;
        try {
            MimeMessage message = mail.getMessage();
            Enumeration<Header> all = message == null ? Collections.emptyEnumeration() : message.getAllHeaders();
            while (all.hasMoreElements()) {
                Header header = all.nextElement();
                if (headers.size() == MAX_HEADERS) {
                    cut = true;
                    break;
                }
                String value = Optional.ofNullable(header.getValue()).orElse("");
                headers.add(new HeaderField(header.getName(),
                    value.length() > MAX_HEADER_LENGTH ? value.substring(0, MAX_HEADER_LENGTH) + "..." : value));
            }
        } catch (MessagingException | RuntimeException e) {
            cut = true;
        }
        String decisionLine = DecisionLog.line("deny", DecisionLog.denyAction(gateway.enforce()), Optional.empty(),
            gateway.enforce(), gateway.getProfile(), mail, reason);
        return new MailDetails(row, mail.getState(),
            mail.getRecipients().stream().map(recipient -> QuarantinedMail.cut(recipient.asString())).collect(Collectors.toList()),
            mail.getRemoteHost(), mail.getRemoteAddr(), reason.route().orElse(null), reason.xoorg().orElse(null),
            decisionLine, headers, cut);
    }

    private final QuarantinedMail row;
    public final String state;
    public final List<String> recipients;
    public final String remoteHost;
    public final String remoteAddr;
    public final String route;
    public final String xoorg;
    public final String decisionLine;
    public final List<HeaderField> headers;
    /** True when headers were left out: more than {@value #MAX_HEADERS}, or unreadable. */
    public final boolean headersCut;

    private MailDetails(QuarantinedMail row, String state, List<String> recipients, String remoteHost, String remoteAddr, String route,
                        String xoorg, String decisionLine, List<HeaderField> headers, boolean headersCut) {
        this.row = row;
        this.state = state;
        this.recipients = recipients;
        this.remoteHost = remoteHost;
        this.remoteAddr = remoteAddr;
        this.route = route;
        this.xoorg = xoorg;
        this.decisionLine = decisionLine;
        this.headers = headers;
        this.headersCut = headersCut;
    }

    public String getKey() {
        return row.key;
    }

    public Instant getTime() {
        return row.time;
    }

    public String getSender() {
        return row.sender;
    }

    public String getRule() {
        return row.rule;
    }

    public String getCondition() {
        return row.condition;
    }

    public String getTenant() {
        return row.tenant;
    }

    public String getSubject() {
        return row.subject;
    }
}
