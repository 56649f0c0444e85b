package org.relayguard.core.mail;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;

/** Mails built from raw header text, so that folding and encoding reach the code under test as on the wire; for the tests of core and of the matchers. */
public final class TestMails {
    public static final String RECIPIENT = "someone@external.example";

    private TestMails() {
    }

    public static FakeMail withHeaders(String... headerLines) throws MessagingException {
        return FakeMail.builder()
            .name("mail")
            .sender("a@evil.example")
            .recipient(RECIPIENT)
            .remoteHost("mail-x.outbound.protection.outlook.com")
            .mimeMessage(message(headerLines))
            .build();
    }

    public static MimeMessage message(String... headerLines) throws MessagingException {
        String raw = "From: a@evil.example\r\n"
            + "To: " + RECIPIENT + "\r\n"
            + "Subject: test\r\n"
            + String.join("\r\n", headerLines) + (headerLines.length > 0 ? "\r\n" : "")
            + "\r\nbody\r\n";
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
    }

    /** The mail with the tenant an SMTP session named (XOORG), as the SMTP handler records it. */
    public static FakeMail withXoorg(FakeMail mail, String xoorg) {
        mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.of(xoorg)));
        return mail;
    }

    /** A message whose headers cannot be read, as when the spooled content is gone or corrupt. */
    public static FakeMail withUnreadableHeaders() throws MessagingException {
        return withUnreadableHeaders("a@evil.example");
    }

    public static FakeMail withUnreadableHeaders(String sender) throws MessagingException {
        MimeMessage unreadable = new MimeMessage(Session.getInstance(new Properties())) {
            @Override
            public String[] getHeader(String name) throws MessagingException {
                throw new MessagingException("message content is unavailable");
            }
        };
        return FakeMail.builder()
            .name("unreadable")
            .sender(sender)
            .recipient(RECIPIENT)
            .mimeMessage(unreadable)
            .build();
    }
}
