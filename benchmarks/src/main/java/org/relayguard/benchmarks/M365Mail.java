package org.relayguard.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;

/**
 * The mail every benchmark reads: a real Microsoft 365 header set (82 fields, 15 KB, the header
 * block of sisimai's {@code lhost-office365-09.eml}, see {@code LICENSE-sisimai-set-of-emails.txt})
 * relayed by our tenant, in James's own {@link MailImpl}. The message is parsed once, as James parses
 * it once per mail before the first matcher looks at it; what is measured is each matcher's own work.
 */
final class M365Mail {
    static final String RESOURCE = "office365-09-headers.eml";
    static final String REMOTE_HOST = "APC01-PU1-obe.outbound.protection.outlook.com";
    static final String REMOTE_ADDRESS = "104.47.126.239";
    static final String SENDER = "kijitora@contoso.com";
    static final String RECIPIENT = "someone@external.example";

    private M365Mail() {
    }

    static Mail ourTenant() {
        try {
            return MailImpl.builder()
                .name("benchmark")
                .sender(SENDER)
                .addRecipient(RECIPIENT)
                .remoteHost(REMOTE_HOST)
                .remoteAddr(REMOTE_ADDRESS)
                .mimeMessage(message())
                .build();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MimeMessage message() throws MessagingException {
        try (InputStream in = M365Mail.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            MimeMessage message = new MimeMessage(Session.getDefaultInstance(new Properties()), in);
            message.getAllHeaders();
            return message;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
