package org.relayguard.mailets;

import java.util.Locale;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.URLName;

import com.sun.mail.smtp.SMTPTransport;

/**
 * javax.mail's SMTP client with the envelope parameters it cannot send itself: per recipient
 * {@code NOTIFY=} and {@code ORCPT=} on RCPT, and {@code RET=}, {@code ENVID=}, {@code SIZE=} and
 * {@code BODY=8BITMIME} on MAIL ({@link Envelope#mailParameters}, {@link Envelope#rcptParameters}:
 * each only when this next hop offers its extension). javax.mail 1.6.2 applies DSN options per
 * message, has no ORCPT and never writes SIZE or BODY; here they are added to the commands as
 * javax.mail writes them, so all recipients stay in one transaction on a pooled connection.
 *
 * <p>Serves {@code smtp} and {@code smtps} (javax.mail's own constructor for both). The envelope is
 * set on a leased connection before each mail ({@link #envelope}); a lease is exclusive.</p>
 */
final class EnvelopeSmtpTransport extends SMTPTransport {
    private static final String MAIL_FROM = "MAIL FROM:";
    private static final String RCPT_TO = "RCPT TO:";

    private volatile Envelope envelope = Envelope.NONE;

    EnvelopeSmtpTransport(Session session, URLName url, String protocol, boolean ssl) {
        super(session, url, protocol, ssl);
    }

    /** The parameters of the next mail sent on this connection. */
    void envelope(Envelope next) {
        this.envelope = next;
    }

    @Override
    protected void sendCommand(String command) throws MessagingException {
        super.sendCommand(withParameters(command, envelope));
    }

    /** The command with the envelope's parameters this hop takes; any other command as it is. */
    String withParameters(String command, Envelope current) {
        String upper = command.toUpperCase(Locale.ROOT);
        if (upper.startsWith(MAIL_FROM)) {
            return command + current.mailParameters(this::supportsExtension);
        }
        if (upper.startsWith(RCPT_TO)) {
            return command + current.rcptParameters(address(command), this::supportsExtension);
        }
        return command;
    }

    /** The address between the angle brackets javax.mail writes around it. */
    private static String address(String command) {
        int open = command.indexOf('<');
        int close = command.lastIndexOf('>');
        return open >= 0 && close > open ? command.substring(open + 1, close) : command.substring(RCPT_TO.length()).trim();
    }
}
