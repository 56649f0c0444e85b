package org.relayguard.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MaybeSender;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.ProxyInformation;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's host name, looked up off James's I/O threads. James 3.8.1 looks it up on them, in
 * {@code InetSocketAddress.getHostName()}, when a mail is received (the mail's remote host, which
 * {@code SenderHostnameEndsWith} reads, and the Received header): a blocking reverse lookup that
 * whoever controls the reverse zone of an address can make as slow as the resolver allows, during
 * which the I/O thread serves no one else.
 *
 * <p>At HELO/EHLO (on a PROXY listener the client's address is known by then) this handler starts
 * the lookup ({@link ReverseLookups}: a pool of {@code lookupThreads}, answers kept
 * {@code lookupCacheTtl} seconds) and stops reading the client's next command until the answer
 * comes, {@code lookupTimeout} seconds at most, without holding the I/O thread. It then gives the
 * session a client address that carries the answer, so that James's own {@code getHostName()} calls
 * find a name and look nothing up: the host name, or the IP literal when there is none or it did not
 * come in time; the rules then see no host name, as for a client without PTR (fail closed). A
 * client that says MAIL before the answer came (no HELO, or commands sent ahead of the EHLO reply)
 * gets the IP literal at once.</p>
 *
 * <p>Place it first in the handler chain, so that its MAIL hook runs whatever the others answer.</p>
 *
 * <pre>{@code
 * <handler class="org.relayguard.smtp.ClientHostName">
 *     <lookupTimeout>5</lookupTimeout>
 *     <lookupThreads>32</lookupThreads>
 *     <lookupCacheTtl>300</lookupCacheTtl>
 * </handler>
 * }</pre>
 */
public class ClientHostName implements HeloHook, MailHook {
    static final String NAME = "ClientHostName";
    static final String LOOKUP_TIMEOUT = "lookupTimeout";
    static final String LOOKUP_THREADS = "lookupThreads";
    static final String LOOKUP_CACHE_TTL = "lookupCacheTtl";
    static final int DEFAULT_LOOKUP_TIMEOUT = 5;
    static final int DEFAULT_LOOKUP_THREADS = 32;
    static final int DEFAULT_LOOKUP_CACHE_TTL = 300;
    static final String TIMED_OUT_METRIC = "relayguard_smtp_reverse_lookups_timed_out";

    private static final Logger LOGGER = LoggerFactory.getLogger(ClientHostName.class);
    private static final ProtocolSession.AttachmentKey<Decision> DECISION = ProtocolSession.AttachmentKey.of("org.relayguard.client-host-name", Decision.class);

    /** The session's client address as it will stay: with the host name, or with the IP literal as its name. */
    private static final class Decision {
        final InetSocketAddress client;
        final InetSocketAddress destination;
        final AtomicReference<InetSocketAddress> named = new AtomicReference<>();
        /** Whether the session holds {@code named} (set once): later MAILs of the connection have nothing to install. */
        volatile boolean installed;

        Decision(InetSocketAddress client, InetSocketAddress destination) {
            this.client = client;
            this.destination = destination;
        }
    }

    private final Metric timedOut;
    private final UnaryOperator<String> resolver;
    private ReverseLookups lookups;

    @Inject
    public ClientHostName(MetricFactory metricFactory) {
        this(metricFactory, ReverseLookups::jdkLookup);
    }

    /** @param resolver from an IP literal to the host name, or the IP literal when there is none (tests) */
    ClientHostName(MetricFactory metricFactory, UnaryOperator<String> resolver) {
        this.timedOut = metricFactory.generate(TIMED_OUT_METRIC);
        this.resolver = resolver;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        int timeout = positive(config, LOOKUP_TIMEOUT, DEFAULT_LOOKUP_TIMEOUT);
        int threads = positive(config, LOOKUP_THREADS, DEFAULT_LOOKUP_THREADS);
        int cacheTtl = positive(config, LOOKUP_CACHE_TTL, DEFAULT_LOOKUP_CACHE_TTL);
        lookups = new ReverseLookups(threads, Duration.ofSeconds(timeout), Duration.ofSeconds(cacheTtl), resolver);
        LOGGER.info("{}: client host names looked up by {} threads, {} s at most, kept {} s", NAME, threads, timeout, cacheTtl);
    }

    private static int positive(Configuration config, String parameter, int defaultValue) throws ConfigurationException {
        String value = config.getString(parameter, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            int number = Integer.parseInt(value.trim());
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationException(NAME + ": parameter '" + parameter + "' must be a number above 0, got '" + value + "'");
    }

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        if (session.getAttachment(DECISION, State.Connection).isPresent()) {
            return HookResult.DECLINED;
        }
        Decision decision = start(session);
        CompletableFuture<ReverseLookups.Answer> answer = lookups.nameOf(decision.client.getAddress());
        if (answer.isDone()) {
            decide(session, decision, answer.join());
            return HookResult.DECLINED;
        }
        // Paused before the callback is registered: an answer that comes meanwhile resumes after the pause.
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        transport.setReadable(false);
        answer.thenAccept(name -> {
            try {
                decide(session, decision, name);
            } finally {
                transport.setReadable(true);
            }
        });
        return HookResult.DECLINED;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        Decision decision = session.getAttachment(DECISION, State.Connection).orElseGet(() -> start(session));
        if (decision.named.compareAndSet(null, named(decision.client, decision.client.getAddress().getHostAddress()))) {
            timedOut.increment();
        }
        install(session, decision);
        return HookResult.DECLINED;
    }

    private static Decision start(SMTPSession session) {
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        // James 3.8.1's getProxyInformation() fails on a session that has none: ask only behind a proxy.
        InetSocketAddress destination = transport.isProxyRequired()
            ? session.getProxyInformation().map(ProxyInformation::getDestination).orElseGet(session::getLocalAddress)
            : session.getLocalAddress();
        Decision decision = new Decision(session.getRemoteAddress(), destination);
        session.setAttachment(DECISION, decision, State.Connection);
        return decision;
    }

    private void decide(SMTPSession session, Decision decision, ReverseLookups.Answer answer) {
        if (decision.named.compareAndSet(null, named(decision.client, answer.name)) && answer.timedOut) {
            timedOut.increment();
        }
        install(session, decision);
    }

    /**
     * From any thread: the session's address is read on its I/O thread after it reads again
     * (setReadable), or after it read {@code installed}. Once per connection: James recomputes
     * whether the client may relay at each install, against every authorized network.
     */
    private static void install(SMTPSession session, Decision decision) {
        if (decision.installed) {
            return;
        }
        session.setProxyInformation(new ProxyInformation(decision.named.get(), decision.destination));
        decision.installed = true;
    }

    private static InetSocketAddress named(InetSocketAddress client, String name) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(name, client.getAddress().getAddress()), client.getPort());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + client.getAddress().getAddress().length + " bytes", e);
        }
    }

    @Override
    public void destroy() {
        if (lookups != null) {
            lookups.close();
        }
    }
}
