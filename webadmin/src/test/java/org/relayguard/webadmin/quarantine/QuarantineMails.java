package org.relayguard.webadmin.quarantine;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MaybeSender;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;

/** Quarantined mails as the gateway stores them: envelope, remote host, raw headers, time received. */
public final class QuarantineMails {
    public static final Instant T0 = Instant.parse("2024-05-01T08:00:00Z");

    private QuarantineMails() {
    }

    public static FakeMail mail(String name, String sender, String remoteHost, int minute, String... headerLines) throws MessagingException {
        String raw = "From: x@example.net\r\n"
            + "Subject: quarantined\r\n"
            + String.join("\r\n", headerLines) + (headerLines.length > 0 ? "\r\n" : "")
            + "\r\nbody\r\n";
        return FakeMail.builder()
            .name(name)
            .sender(sender.isEmpty() ? MaybeSender.nullSender() : MaybeSender.getMailSender(sender))
            .recipient("someone@external.example")
            .remoteHost(remoteHost)
            .remoteAddr("127.0.0.2")
            .lastUpdated(Date.from(T0.plusSeconds(60L * minute)))
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))))
            .build();
    }

    /** A mail the session-tenant rule quarantined: its notice, and the XOORG the session gave (or none). */
    public static FakeMail xoorg(String name, int minute, String xoorg, String... headerLines) throws MessagingException {
        FakeMail mail = mail(name, "a@evil.example", "mail-x.outbound.protection.outlook.com", minute, headerLines);
        mail.setErrorMessage("relayguard rule=xoorg route=m365_xoorg");
        if (xoorg != null) {
            mail.setAttribute(new Attribute(AttributeName.of("org.relayguard.xoorg"), AttributeValue.of(xoorg)));
        }
        return mail;
    }

    public static FakeMail org(String name, int minute, String... orgs) throws MessagingException {
        String[] headers = new String[orgs.length];
        for (int i = 0; i < orgs.length; i++) {
            headers[i] = "X-OriginatorOrg: " + orgs[i];
        }
        return mail(name, "a@evil.example", "mail-x.outbound.protection.outlook.com", minute, headers);
    }
}
