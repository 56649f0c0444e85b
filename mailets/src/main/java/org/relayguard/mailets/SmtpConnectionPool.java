package org.relayguard.mailets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Deque;
import java.util.Iterator;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.URLName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.mail.smtp.SMTPTransport;

/**
 * The open SMTP connections to one next hop: at most {@code maxConnections} at once, each a
 * connected javax.mail {@link SMTPTransport} (an {@link EnvelopeSmtpTransport}) that sends mail after mail (a transaction that ended
 * in {@code 250} after DATA leaves the session ready for the next MAIL FROM, RFC 5321 4.1.1.4).
 * A connection given back after a failure is closed, never reused, so that no half-done
 * transaction carries over; one idle longer than {@code idleTimeout} is closed too (servers drop
 * idle clients, and a dropped one would cost a failed attempt).
 *
 * <p>Each connection has a {@link Session} of its own, since the envelope sender is a session
 * property ({@code mail.smtp.from}) that javax.mail reads at every MAIL FROM. The transports are
 * built directly: no provider lookup on the class path per connection. TLS is whatever the
 * properties say; the caller puts one socket factory instance in them
 * ({@code mail.smtp.ssl.socketFactory}), so that TLS sessions resume across connections.</p>
 */
final class SmtpConnectionPool implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(SmtpConnectionPool.class);

    /** A connection lent out; {@link #reused} says whether it had sent mail before (it may have gone stale since). */
    static final class Lease {
        final EnvelopeSmtpTransport transport;
        final Session session;
        final boolean reused;

        private Lease(EnvelopeSmtpTransport transport, Session session, boolean reused) {
            this.transport = transport;
            this.session = session;
            this.reused = reused;
        }
    }

    private static final class Idle {
        final EnvelopeSmtpTransport transport;
        final Session session;
        final Instant since;

        Idle(EnvelopeSmtpTransport transport, Session session, Instant since) {
            this.transport = transport;
            this.session = session;
            this.since = since;
        }
    }

    private final String protocol;
    private final String connectTo;
    private final int port;
    private final String user;
    private final String password;
    private final Properties properties;
    private final Duration idleTimeout;
    private final Duration waitForConnection;
    private final Clock clock;
    private final int maxConnections;
    private final Semaphore permits;
    /** Most recently used first: a light load keeps few connections busy and lets the others idle out. */
    private final Deque<Idle> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    SmtpConnectionPool(String protocol, String connectTo, int port, String user, String password, Properties properties,
                       int maxConnections, Duration idleTimeout, Duration waitForConnection, Clock clock) {
        this.protocol = protocol;
        this.connectTo = connectTo;
        this.port = port;
        this.user = user;
        this.password = password;
        this.properties = properties;
        this.idleTimeout = idleTimeout;
        this.waitForConnection = waitForConnection;
        this.clock = clock;
        this.maxConnections = maxConnections;
        this.permits = new Semaphore(maxConnections, true);
    }

    /** A connected transport: an idle one if there is one still fresh, otherwise a new connection. */
    Lease borrow() throws MessagingException {
        acquirePermit();
        try {
            Idle candidate;
            while ((candidate = idle.pollFirst()) != null) {
                if (isFresh(candidate)) {
                    return new Lease(candidate.transport, candidate.session, true);
                }
                quit(candidate.transport);
            }
            return connect();
        } catch (MessagingException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** A connection after its mail: kept for the next one when {@code reusable}, closed otherwise. */
    void giveBack(Lease lease, boolean reusable) {
        try {
            // Not transport.isConnected(): javax.mail's sends a NOOP, a round trip per mail. A
            // connection the server has closed since fails its next MAIL FROM, and the caller
            // tries again on a new one.
            if (reusable && !closed) {
                idle.offerFirst(new Idle(lease.transport, lease.session, clock.instant()));
                if (closed) {
                    close(); // closed meanwhile: the connection just kept must not outlive the pool
                }
            } else {
                quit(lease.transport);
            }
        } finally {
            permits.release();
        }
    }

    /** Closes the connections idle longer than the idle timeout (called now and then). */
    void closeIdle() {
        Iterator<Idle> connections = idle.iterator();
        while (connections.hasNext()) {
            Idle connection = connections.next();
            if (!isFresh(connection) && idle.remove(connection)) {
                quit(connection.transport);
            }
        }
    }

    /** Whether no connection is lent out or idle: the pool holds nothing and may be dropped. */
    boolean isUnused() {
        return idle.isEmpty() && permits.availablePermits() == maxConnections;
    }

    /** The connections open and not lent out, for tests and logs. */
    int idleCount() {
        return idle.size();
    }

    private boolean isFresh(Idle connection) {
        return Duration.between(connection.since, clock.instant()).compareTo(idleTimeout) < 0;
    }

    private void acquirePermit() throws MessagingException {
        try {
            if (!permits.tryAcquire(waitForConnection.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new MessagingException("no free connection to " + connectTo + ":" + port + " within " + waitForConnection);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MessagingException("interrupted while waiting for a connection to " + connectTo + ":" + port, e);
        }
    }

    private Lease connect() throws MessagingException {
        Properties own = new Properties();
        // Not Properties' defaults: javax.mail reads the socket factory instance with get(), which ignores them.
        own.putAll(properties);
        Session session = Session.getInstance(own);
        URLName url = new URLName(protocol, connectTo, port, null, null, null);
        EnvelopeSmtpTransport transport = new EnvelopeSmtpTransport(session, url, protocol, "smtps".equals(protocol));
        transport.connect(connectTo, port, user, password);
        LOGGER.debug("connected to {}:{}", connectTo, port);
        return new Lease(transport, session, false);
    }

    private static void quit(SMTPTransport transport) {
        try {
            transport.close();
        } catch (MessagingException | RuntimeException e) {
            // The server went away first: nothing was in flight on an idle or failed connection.
            LOGGER.debug("closing an SMTP connection: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        Idle connection;
        while ((connection = idle.pollFirst()) != null) {
            quit(connection.transport);
        }
    }
}
