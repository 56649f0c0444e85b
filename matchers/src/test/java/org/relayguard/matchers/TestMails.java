package org.relayguard.matchers;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.base.test.FakeMail;

/** Mails built from raw header text, so that folding and encoding reach the matcher as on the wire. */
final class TestMails {
    static final String RECIPIENT = "someone@external.example";

    private TestMails() {
    }

    static FakeMail withHeaders(String... headerLines) throws MessagingException {
        return FakeMail.builder()
            .name("mail")
            .sender("a@evil.example")
            .recipient(RECIPIENT)
            .remoteHost("mail-x.outbound.protection.outlook.com")
            .mimeMessage(message(headerLines))
            .build();
    }

    static MimeMessage message(String... headerLines) throws MessagingException {
        String raw = "From: a@evil.example\r\n"
            + "To: " + RECIPIENT + "\r\n"
            + "Subject: test\r\n"
            + String.join("\r\n", headerLines) + (headerLines.length > 0 ? "\r\n" : "")
            + "\r\nbody\r\n";
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
    }

    /** A message whose headers cannot be read, as when the spooled content is gone or corrupt. */
    static FakeMail withUnreadableHeaders() throws MessagingException {
        return withUnreadableHeaders("a@evil.example");
    }

    static FakeMail withUnreadableHeaders(String sender) throws MessagingException {
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
