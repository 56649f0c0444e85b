package org.relayguard.mailets;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;

import javax.mail.Address;
import javax.mail.internet.InternetAddress;

import org.apache.mailet.AttributeUtils;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.core.mail.Utf8Addresses;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.base.CharMatcher;

/**
 * The envelope of a mail that came with SMTPUTF8 (RFC 6531), as delivery writes it: the client's
 * UTF-8 forms ({@code org.relayguard.smtputf8.addresses}, set by {@code org.relayguard.smtp.SmtpUtf8})
 * to a next hop that offers SMTPUTF8, James's forms (A-label domains) to one that does not, which is
 * possible only while no local part is outside ASCII.
 */
final class Utf8Envelope {
    private static final Logger LOGGER = LoggerFactory.getLogger(Utf8Envelope.class);
    static final String EXTENSION = "SMTPUTF8";

    private final Mail mail;
    private final Map<String, String> utf8Forms;

    private Utf8Envelope(Mail mail, Map<String, String> utf8Forms) {
        this.mail = mail;
        this.utf8Forms = utf8Forms;
    }

    /** The envelope of a mail whose client said SMTPUTF8, or empty. */
    static Optional<Utf8Envelope> of(Mail mail) {
        boolean declared = AttributeUtils.getValueAndCastFromMail(mail, MailAttributes.SMTPUTF8, Boolean.class).orElse(false);
        if (!declared) {
            return Optional.empty();
        }
        Map<String, String> forms = Utf8Addresses.of(mail);
        return Optional.of(new Utf8Envelope(mail, forms));
    }

    /**
     * Whether a mail has a local part outside ASCII that only SMTPUTF8 can carry: James's own
     * {@code RemoteDelivery} cannot write it (javax.mail without {@code mail.mime.allowutf8} cuts each
     * character to one byte), so such a mail must not be handed to it.
     */
    static boolean needsSmtpUtf8(Mail mail) {
        return of(mail).map(envelope -> !CharMatcher.ascii().matchesAllOf(envelope.sender())
            || mail.getRecipients().stream().anyMatch(recipient -> !CharMatcher.ascii().matchesAllOf(recipient.asString())))
            .orElse(false);
    }

    /**
     * Fail closed before James's {@code RemoteDelivery}: a mail with a UTF-8 local part goes to the
     * error processor (a bounce that says why, a copy in the error repository) instead of being
     * mangled. Whether it did.
     */
    static boolean keptFromRemoteDelivery(Mail mail, String mailet) {
        if (!needsSmtpUtf8(mail)) {
            return false;
        }
        LOGGER.warn("{}: mail {}: a UTF-8 local part (SMTPUTF8) cannot be delivered by RemoteDelivery: kept in the error repository",
            mailet, mail.getName());
        mail.setErrorMessage("5.6.7 RemoteDelivery cannot write a UTF-8 local part (SMTPUTF8, RFC 6531)");
        mail.setState(Mail.ERROR);
        return true;
    }

    /** Whether the sender or one of these recipients has a local part outside ASCII, which only SMTPUTF8 can carry. */
    boolean needsSmtpUtf8(Collection<? extends Address> recipients) {
        return !CharMatcher.ascii().matchesAllOf(sender())
            || recipients.stream().map(Utf8Envelope::address).anyMatch(address -> !CharMatcher.ascii().matchesAllOf(address));
    }

    /** The envelope sender as James holds it ({@code <>} for the null sender). */
    String sender() {
        return mail.getMaybeSender().asString();
    }

    /** The envelope sender in the client's UTF-8 form where it wrote one. */
    String utf8Sender() {
        return writtenForm(sender());
    }

    /** An address (as James holds it) in the client's UTF-8 form where it wrote one. */
    String writtenForm(String address) {
        return utf8Forms.getOrDefault(address, address);
    }

    /** The recipients in the client's UTF-8 forms where it wrote them (javax.mail writes them as given). */
    Address[] utf8Recipients(Address[] recipients) {
        Address[] utf8 = new Address[recipients.length];
        for (int i = 0; i < recipients.length; i++) {
            String address = address(recipients[i]);
            String form = writtenForm(address);
            if (form.equals(address)) {
                utf8[i] = recipients[i];
            } else {
                InternetAddress written = new InternetAddress();
                // Not the parsing constructor: it refuses UTF-8 unless the JVM-wide mail.mime.allowutf8 is set.
                written.setAddress(form);
                utf8[i] = written;
            }
        }
        return utf8;
    }

    private static String address(Address address) {
        return address instanceof InternetAddress ? ((InternetAddress) address).getAddress() : address.toString();
    }
}
