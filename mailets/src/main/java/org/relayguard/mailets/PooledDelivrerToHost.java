package org.relayguard.mailets;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.net.ssl.SSLSocketFactory;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.MailDelivrerToHost;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.mailet.HostAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.apache.mailet.base.Converter7Bit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.mail.smtp.SMTPSendFailedException;

/**
 * James's delivery of one mail to one host, over a pooled connection ({@link SmtpConnectionPool},
 * one pool per host) instead of a new connection, STARTTLS and EHLO per mail. James's
 * {@code MailDelivrer} still decides everything around it (which host, what a failure means,
 * partial delivery), so the outcomes are RemoteDelivery's.
 *
 * <p>A connection that had sent mail before may have been closed by the server since (an idle
 * timeout, a {@code 421}): when such a connection fails before any recipient got the mail, the
 * mail is tried once more at once on a new connection. A failure there goes to James as it is.
 * Resending after a connection dropped after the final dot may duplicate that one mail, as any
 * SMTP client would (RFC 5321 6.1); it is never lost.</p>
 *
 * <p>The envelope goes on as the client gave it ({@link Envelope}, {@link EnvelopeSmtpTransport}):
 * SIZE, BODY=8BITMIME, RET and ENVID on MAIL, NOTIFY and ORCPT per recipient, each where the hop
 * offers its extension, all recipients in one transaction. When the hop does not offer DSN,
 * recipients that asked for {@code NOTIFY=SUCCESS} get a "relayed" notice (RFC 3461 6.2): a copy of
 * the mail for them goes to the processor {@value #RELAYED_NOTICES}, whose DSNBounce writes it.</p>
 *
 * <p>A mail whose client said SMTPUTF8 goes over connections of its own ({@link Utf8Envelope}): to a
 * next hop that offers SMTPUTF8 with it and the client's UTF-8 addresses; to one that does not with
 * the A-label forms, unless a local part is outside ASCII: then it fails permanently (a bounce,
 * {@code 5.6.7}), never mangled.</p>
 */
class PooledDelivrerToHost extends MailDelivrerToHost {
    private static final Logger LOGGER = LoggerFactory.getLogger(PooledDelivrerToHost.class);
    private static final String EIGHT_BIT_MIME = "8BITMIME";
    private static final String DSN = "DSN";
    /** The processor that writes the "relayed" notices (shared-processors.xml). */
    static final String RELAYED_NOTICES = "relayed-notices";
    private static final int SERVICE_NOT_AVAILABLE = 421;
    /** javax.mail's return code when the server closed the connection instead of replying. */
    private static final int NO_REPLY = -1;

    private final RemoteDeliveryConfiguration configuration;
    private final Converter7Bit converter7Bit;
    private final Properties properties;
    private final String protocol;
    private final int maxConnections;
    private final Duration idleTimeout;
    private final Clock clock;
    private final MailetContext mailetContext;
    private final Map<String, SmtpConnectionPool> pools = new ConcurrentHashMap<>();

    PooledDelivrerToHost(RemoteDeliveryConfiguration configuration, MailetContext mailetContext, SSLSocketFactory tls,
                         int maxConnections, Duration idleTimeout, Clock clock) {
        super(configuration, mailetContext);
        this.configuration = configuration;
        this.converter7Bit = new Converter7Bit(mailetContext);
        this.protocol = configuration.isSSLEnable() ? "smtps" : "smtp";
        this.properties = configuration.isSSLEnable() ? configuration.createFinalJavaxPropertiesWithSSL() : configuration.createFinalJavaxProperties();
        // One factory for every connection of this mailet: its SSLContext's session cache lets a
        // new connection resume the TLS session of an earlier one to the same host and port.
        properties.put("mail." + protocol + ".ssl.socketFactory", tls);
        this.maxConnections = maxConnections;
        this.idleTimeout = idleTimeout;
        this.clock = clock;
        this.mailetContext = mailetContext;
    }

    @Override
    public ExecutionResult tryDeliveryToHost(Mail mail, Collection<InternetAddress> recipients, HostAddress host) throws MessagingException {
        // SMTPUTF8: such mail goes over connections of their own, whose javax.mail session allows UTF-8.
        Optional<Utf8Envelope> utf8 = Utf8Envelope.of(mail);
        SmtpConnectionPool pool = pools.computeIfAbsent(key(host) + (utf8.isPresent() ? " " + Utf8Envelope.EXTENSION : ""),
            key -> newPool(host, utf8.isPresent()));
        Address[] addresses = recipients.toArray(new Address[0]);
        SmtpConnectionPool.Lease lease = borrow(pool);
        try {
            if (utf8.isPresent() && !lease.transport.supportsExtension(Utf8Envelope.EXTENSION) && utf8.get().needsSmtpUtf8(recipients)) {
                pool.giveBack(lease, true);
                return ExecutionResult.permanentFailure(new MessagingException("5.6.7 " + host.getHostName()
                    + " does not offer SMTPUTF8, and an address of this mail has a UTF-8 local part, which cannot be written in ASCII (RFC 6531)"));
            }
            send(mail, addresses, lease);
        } catch (MessagingException e) {
            pool.giveBack(lease, false);
            if (!lease.reused || !mayHaveGoneStale(e)) {
                throw e;
            }
            LOGGER.debug("mail {}: a reused connection to {} failed ({}): trying a new one", mail.getName(), host.getHostName(), e.getMessage());
            SmtpConnectionPool.Lease fresh = pool.borrow();
            try {
                send(mail, addresses, fresh);
            } catch (MessagingException | RuntimeException again) {
                pool.giveBack(fresh, false);
                throw again;
            }
            pool.giveBack(fresh, true);
            return ExecutionResult.success();
        } catch (RuntimeException e) {
            pool.giveBack(lease, false);
            throw e;
        }
        pool.giveBack(lease, true);
        return ExecutionResult.success();
    }

    /**
     * A connection from the pool. No connection is the host's failure, never the mail's: refused,
     * timed out, a greeting other than 220 (421, or a 554 as Postfix's
     * {@code smtp_skip_5xx_greeting} skips), no STARTTLS where it is required, no free connection
     * within the connection timeout. James's MailDelivrer moves on to the next MX host only after an
     * I/O failure (a failure whose next exception is an IOException): so it says, whatever javax.mail
     * nested. After the last host, the mail is retried later, as before.
     */
    private static SmtpConnectionPool.Lease borrow(SmtpConnectionPool pool) throws MessagingException {
        try {
            return pool.borrow();
        } catch (MessagingException e) {
            if (e.getNextException() instanceof IOException) {
                throw e;
            }
            throw new MessagingException(e.getMessage(), new IOException("no connection: " + e.getMessage(), e));
        }
    }

    private void send(Mail mail, Address[] recipients, SmtpConnectionPool.Lease lease) throws MessagingException {
        // javax.mail reads the envelope sender from the session at each MAIL FROM; "<>" for the null sender.
        lease.session.getProperties().put("mail." + protocol + ".from", mail.getMaybeSender().asString());
        Optional<Utf8Envelope> utf8 = Utf8Envelope.of(mail);
        UnaryOperator<String> writtenForm = UnaryOperator.identity();
        if (utf8.isPresent() && lease.transport.supportsExtension(Utf8Envelope.EXTENSION)) {
            // javax.mail adds SMTPUTF8 to MAIL FROM itself on these connections (mail.mime.allowutf8).
            lease.session.getProperties().put("mail." + protocol + ".from", utf8.get().utf8Sender());
            recipients = utf8.get().utf8Recipients(recipients);
            writtenForm = utf8.get()::writtenForm;
        }
        MimeMessage message = mail.getMessage();
        boolean eightBitHop = lease.transport.supportsExtension(EIGHT_BIT_MIME);
        if (!eightBitHop) {
            try {
                converter7Bit.convertTo7Bit(message);
            } catch (IOException e) {
                LOGGER.error("mail {}: cannot convert to 7 bit for {}", mail.getName(), lease.transport.getURLName(), e);
            }
        }
        lease.transport.envelope(Envelope.of(mail, eightBitHop, writtenForm));
        try {
            lease.transport.sendMessage(message, recipients);
        } catch (SendFailedException e) {
            // Partly delivered (sendpartial): those that got it are owed their notice as well.
            if (e.getValidSentAddresses() != null && !lease.transport.supportsExtension(DSN)) {
                noticeRelayed(mail, e.getValidSentAddresses(), writtenForm);
            }
            throw e;
        } finally {
            lease.transport.envelope(Envelope.NONE);
        }
        LOGGER.info("Mail ({}) sent successfully to {} for {} (pooled connection{})", mail.getName(), lease.transport.getURLName(),
            mail.getRecipients(), lease.reused ? ", reused" : "");
        if (!lease.transport.supportsExtension(DSN)) {
            noticeRelayed(mail, recipients, writtenForm);
        }
    }

    /**
     * A "relayed" notice for the delivered recipients that asked for one with NOTIFY=SUCCESS, the
     * hop being unable to send it. The mail is delivered whatever happens here: a notice that cannot
     * be queued is logged, never a reason to deliver again.
     */
    private void noticeRelayed(Mail mail, Address[] delivered, UnaryOperator<String> writtenForm) {
        List<InternetAddress> addresses = Arrays.stream(delivered)
            .filter(InternetAddress.class::isInstance).map(InternetAddress.class::cast).collect(Collectors.toList());
        List<MailAddress> asking = Envelope.askingForSuccess(mail, addresses, writtenForm);
        if (asking.isEmpty() || !mail.getMaybeSender().asOptional().isPresent()) {
            return;
        }
        try {
            Mail notice = mail.duplicate();
            try {
                notice.setRecipients(asking);
                mailetContext.sendMail(notice, RELAYED_NOTICES);
            } finally {
                LifecycleUtil.dispose(notice);
            }
        } catch (MessagingException | RuntimeException e) {
            LOGGER.error("mail {}: cannot send the relayed notice for {}", mail.getName(), asking, e);
        }
    }

    /**
     * Whether a failure on a reused connection may be the connection's, not the mail's: the server
     * closed it or is closing it (421), or had closed it without a word (javax.mail reads end of
     * stream instead of a reply: code -1), and no recipient has the mail yet. A reply about a
     * recipient or the message is the mail's, and goes to James as it is.
     */
    private static boolean mayHaveGoneStale(MessagingException e) {
        if (e instanceof SMTPSendFailedException) {
            SMTPSendFailedException failed = (SMTPSendFailedException) e;
            int code = failed.getReturnCode();
            return (code == SERVICE_NOT_AVAILABLE || code == NO_REPLY) && isEmpty(failed.getValidSentAddresses());
        }
        if (e instanceof SendFailedException) {
            return false;
        }
        return true;
    }

    private static boolean isEmpty(Address[] addresses) {
        return addresses == null || addresses.length == 0;
    }

    private static String key(HostAddress host) {
        return host.getHostName() + "/" + host.getHost() + ":" + host.getPort();
    }

    private SmtpConnectionPool newPool(HostAddress host, boolean smtpUtf8) {
        String name = host.getHostName();
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        // As James: by name when the certificate's name is checked, by address otherwise.
        String connectTo = configuration.isConnectByHostname() ? name : host.getHost();
        return new SmtpConnectionPool(protocol, connectTo, host.getPort(), configuration.getAuthUser(), configuration.getAuthPass(),
            smtpUtf8 ? withUtf8(properties) : properties, maxConnections, idleTimeout, Duration.ofMillis(configuration.getConnectionTimeout()), clock);
    }

    /** javax.mail reads {@code mail.mime.allowutf8} from the session when a transport is made: UTF-8 commands, SMTPUTF8 on MAIL. */
    private static Properties withUtf8(Properties properties) {
        Properties utf8 = new Properties();
        utf8.putAll(properties);
        utf8.put("mail.mime.allowutf8", "true");
        return utf8;
    }

    /**
     * Closes the connections idle longer than the idle timeout, on every next hop, and drops the
     * pools left with none: MX delivery meets ever new hosts, whose pools must not pile up. A
     * delivery that took a pool just before it was dropped still works: its connection is closed
     * when given back.
     */
    void closeIdle() {
        pools.forEach((key, pool) -> {
            pool.closeIdle();
            if (pool.isUnused() && pools.remove(key, pool)) {
                pool.close();
            }
        });
    }

    /** The next hops with a pool, for tests. */
    int poolCount() {
        return pools.size();
    }

    void close() {
        pools.values().forEach(SmtpConnectionPool::close);
    }
}
