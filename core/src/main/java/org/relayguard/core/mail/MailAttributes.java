package org.relayguard.core.mail;

import org.apache.mailet.AttributeName;

/**
 * The mail attributes Relay Guard's SMTP handlers set and its matchers, mailets and webadmin read,
 * named once so that writer and readers cannot drift apart. Their values are Strings (or maps of
 * Strings): attributes cross James's mail queues as JSON.
 */
public final class MailAttributes {
    /**
     * The tenant Exchange Online named in the SMTP session (XOORG), in canonical form: set by the SMTP
     * handler {@code org.relayguard.smtp.XoorgExtension}, read by {@code XoorgNotEquals}, the tenants
     * and the decision log.
     */
    public static final AttributeName XOORG = AttributeName.of("org.relayguard.xoorg");
    /**
     * The TLS protocol of the SMTP session the mail came in on ({@code TLSv1.3}, or {@code none} in clear
     * text): set by the SMTP handler {@code org.relayguard.smtp.TlsSessionAttribute}, read by the decision log.
     */
    public static final AttributeName TLS = AttributeName.of("org.relayguard.tls");
    /**
     * {@code true} (a Boolean) when the client said {@code SMTPUTF8} on MAIL FROM (RFC 6531): set by the
     * SMTP handler {@code org.relayguard.smtp.SmtpUtf8}, read by delivery.
     */
    public static final AttributeName SMTPUTF8 = AttributeName.of("org.relayguard.smtputf8");
    /**
     * The addresses of the envelope the client wrote with characters outside ASCII: a map from the
     * address as James holds it ({@code MailAddress.asString()}: A-label domain, a UTF-8 local part
     * quoted) to the UTF-8 form the client wrote. Set by {@code org.relayguard.smtp.SmtpUtf8}, read by
     * delivery and the decision log.
     */
    public static final AttributeName SMTPUTF8_ADDRESSES = AttributeName.of("org.relayguard.smtputf8.addresses");

    /**
     * The ORCPT parameter of each recipient's RCPT command as the client wrote it ({@code addr-type;xtext},
     * any addr-type, still xtext-encoded): a map from the recipient's address to that value, set by the SMTP
     * handler {@code org.relayguard.smtp.DsnExtension}, read by pooled delivery, which hands it on unchanged.
     * James's own {@code dsn-orcpt} holds only ORCPTs that are rfc822 addresses.
     */
    public static final AttributeName DSN_ORCPT = AttributeName.of("org.relayguard.dsn-orcpt");
    /**
     * The client's {@code BODY=} value on MAIL ({@code 7BIT} or {@code 8BITMIME}, upper case): set by the SMTP
     * handler {@code org.relayguard.smtp.DsnExtension}, read by pooled delivery to declare an 8-bit body.
     */
    public static final AttributeName BODY = AttributeName.of("org.relayguard.body");

    private MailAttributes() {
    }
}
