package org.relayguard.mailets;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.queue.api.MailPrioritySupport;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.MailDelivrer;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.james.util.MDCBuilder;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetConfig;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableSet;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Delivers to a next hop as a relay should: like James's {@link RemoteDelivery} (the same
 * parameters, the same durable queue, retry schedule, partial delivery and bounces), but over a
 * bounded pool of open SMTP connections per next hop, many mails per connection, with TLS
 * sessions resumed across connections ({@link PooledDelivrerToHost}, {@link SmtpConnectionPool}).
 *
 * <p>Each attempt runs as in RemoteDelivery ({@link DeliveryTrial}): in the mail's logging context
 * (MDC {@code mail}, {@code recipients}, {@code sender}), timed as {@code RemoteDeliveryTrial},
 * counted in {@code outgoingMails} when delivered.</p>
 *
 * <p>To a {@code gateway} (a Microsoft 365 smart host, an outbound gateway), or without one to
 * each domain's MX hosts, as James's {@code MailDelivrer} finds them (its DNS service: MX records
 * in preference order, equal ones shuffled, a domain without MX by its address records; by the
 * A-label form of an IDN domain, the form James holds). A host that cannot be reached (refused, timed
 * out, a greeting other than {@code 220}) or that answers {@code 4xx} (to MAIL, to RCPT for the
 * recipients it deferred, after DATA) is left for the next one; a {@code 5xx} reply bounces without
 * trying the next: James's MailDelivrer decides it, as for RemoteDelivery. Each host
 * (name, address and port) has a pool of its own, as Postfix's connection cache per destination.</p>
 *
 * <p>Parameters: those of RemoteDelivery ({@code outgoing}, {@code gateway}, {@code delayTime},
 * {@code maxRetries}, {@code sendpartial}, {@code bounceProcessor}, {@code startTLS},
 * {@code verifyServerIdentity}, {@code mail.*}, …), read by James's own RemoteDeliveryConfiguration,
 * and:</p>
 * <ul>
 *   <li>{@code maxConnectionsPerHost}: connections open at once to each next hop host (default 8).</li>
 *   <li>{@code maxConnections}: mails delivered at once, so connections in use at once, over all
 *       next hops (default: {@code maxConnectionsPerHost} with a {@code gateway}, one next hop;
 *       {@value #DEFAULT_MAX_CONNECTIONS} without, as Postfix's {@code default_process_limit}). A
 *       mail to a host whose connections are all in use waits for one up to the connection timeout
 *       ({@code connectiontimeout}), then is retried later as after a failure.</li>
 *   <li>{@code idleTimeout}: milliseconds a connection may stay idle before it is closed (default
 *       30000; below the idle timeouts of common SMTP servers).</li>
 * </ul>
 *
 * <p>TLS: with {@code mail.smtp.ssl.trust} {@code *} (opportunistic TLS, the internet route), the
 * certificate is not checked; otherwise the JVM's default SSLContext checks it (the JDK's CAs plus
 * the Relay Guard server's RELAYGUARD_SMARTHOST_CA), as for RemoteDelivery.</p>
 *
 * <pre>{@code
 * <mailet match="All" class="org.relayguard.mailets.PooledDelivery">
 *     <outgoing>to-gateway</outgoing>
 *     <gateway>relay.example.com</gateway>
 *     <delayTime>5000, 60000, 300000, 4*900000, 119*3600000</delayTime>
 *     <maxRetries>126</maxRetries>
 *     <sendpartial>true</sendpartial>
 *     <bounceProcessor>bounces</bounceProcessor>
 *     <startTLS>true</startTLS>
 *     <maxConnectionsPerHost>8</maxConnectionsPerHost>
 *     <idleTimeout>30000</idleTimeout>
 * </mailet>
 * }</pre>
 */
public class PooledDelivery extends GenericMailet {
    static final String NAME = "PooledDelivery";
    static final String MAX_CONNECTIONS_PER_HOST = "maxConnectionsPerHost";
    static final String MAX_CONNECTIONS = "maxConnections";
    static final String IDLE_TIMEOUT = "idleTimeout";
    static final int DEFAULT_MAX_CONNECTIONS_PER_HOST = 8;
    /** Without a gateway: deliveries at once over all MX hosts. */
    static final int DEFAULT_MAX_CONNECTIONS = 100;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOGGER = LoggerFactory.getLogger(PooledDelivery.class);

    private final DeliveryServices services;
    private RemoteDeliveryConfiguration configuration;
    private MailQueue queue;
    private PooledDelivrerToHost toHost;
    private DeliveryTrial trial;
    private Disposable dequeuing;
    private final DeliveryFailures failures = new DeliveryFailures(Clock.systemUTC());
    private Scheduler workers;
    private ScheduledExecutorService idleSweeper;

    @Inject
    public PooledDelivery(DeliveryServices services) {
        this.services = services;
    }

    @Override
    public void init() throws MessagingException {
        configuration = new RemoteDeliveryConfiguration(getMailetConfig(), services.domainList());
        int maxConnectionsPerHost = positive(getMailetConfig(), MAX_CONNECTIONS_PER_HOST, DEFAULT_MAX_CONNECTIONS_PER_HOST);
        int maxConnections = maxConnections(getMailetConfig(), !configuration.getGatewayServer().isEmpty(), maxConnectionsPerHost);
        Duration idleTimeout = Duration.ofMillis(positive(getMailetConfig(), IDLE_TIMEOUT, (int) DEFAULT_IDLE_TIMEOUT.toMillis()));
        String protocol = configuration.isSSLEnable() ? "smtps" : "smtp";
        boolean trustAll = "*".equals(configuration.createFinalJavaxProperties().getProperty("mail." + protocol + ".ssl.trust"));
        queue = services.queueFactory().createQueue(configuration.getOutGoingQueueName());
        toHost = new PooledDelivrerToHost(configuration, getMailetContext(), socketFactory(trustAll), maxConnectionsPerHost, idleTimeout, Clock.systemUTC());
        Bouncer bouncer = new Bouncer(configuration, getMailetContext());
        trial = new DeliveryTrial(configuration, new MailDelivrer(configuration, toHost, services.dnsService(), bouncer, getMailetContext()),
            bouncer, queue, getMailetContext(), services.metricFactory());
        if (services.startsThreads()) {
            start(maxConnections, idleTimeout);
        }
    }

    /** {@code maxConnections}, whose default depends on whether there is one next hop ({@link InternetDelivery} checks it too). */
    static int maxConnections(MailetConfig config, boolean gateway, int maxConnectionsPerHost) throws MessagingException {
        return positive(config, MAX_CONNECTIONS, gateway ? maxConnectionsPerHost : DEFAULT_MAX_CONNECTIONS);
    }

    /** A parameter that is a positive whole number, or its default when absent ({@link InternetDelivery} checks them too). */
    static int positive(MailetConfig config, String name, int defaultValue) throws MessagingException {
        String value = config.getInitParameter(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new MessagingException(NAME + ": parameter '" + name + "' must be a positive whole number, not '" + value + "'");
    }

    /**
     * One socket factory for the mailet's life, so that TLS sessions resume: the JVM's default
     * SSLContext (verified), or one that accepts any certificate (opportunistic TLS, as
     * {@code mail.smtp.ssl.trust=*} makes javax.mail do, but once rather than per connection).
     */
    private static SSLSocketFactory socketFactory(boolean trustAll) throws MessagingException {
        try {
            if (!trustAll) {
                return SSLContext.getDefault().getSocketFactory();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AnyCertificate()}, new SecureRandom());
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new MessagingException(NAME + ": cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Opportunistic TLS: encrypts against a passive eavesdropper; whoever can fake a certificate can as well strip STARTTLS. */
    private static final class AnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // a client-side trust manager only
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // any certificate: see the class comment
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private void start(int maxConnections, Duration idleTimeout) {
        workers = Schedulers.newBoundedElastic(maxConnections, Integer.MAX_VALUE, NAME + "-" + getMailetName());
        dequeuing = Flux.from(queue.deQueue())
            .flatMap(item -> Mono.fromCallable(() -> deliver(item)).subscribeOn(workers).flatMap(this::giveBack), maxConnections)
            .onErrorContinue((error, item) -> LOGGER.error("{}: delivery loop", NAME, error))
            .subscribeOn(Schedulers.newSingle(NAME + "-dequeue-" + getMailetName()))
            .subscribe();
        idleSweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, NAME + "-idle-" + getMailetName());
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(1000, idleTimeout.toMillis() / 2);
        idleSweeper.scheduleWithFixedDelay(toHost::closeIdle, period, period, TimeUnit.MILLISECONDS);
    }

    /** Queues the mail for delivery, as RemoteDelivery does with a gateway; its processing ends here. */
    @Override
    public void service(Mail mail) throws MessagingException {
        if (configuration.isUsePriority()) {
            mail.setAttribute(MailPrioritySupport.HIGH_PRIORITY_ATTRIBUTE);
        }
        if (!mail.getRecipients().isEmpty()) {
            queue.enQueue(mail);
        }
        mail.setState(Mail.GHOST);
    }

    /**
     * One attempt at the mail ({@link DeliveryTrial}), in the mail's logging context and timed, as
     * James's RemoteDelivery does it. A failure (not a refusal by the next hop: the queue or the
     * disk, such as a retry that could not be queued on a full disk) gives the mail back to the
     * queue, where it is due at once, so only after a pause that doubles with each failure in a row
     * up to {@link DeliveryFailures#MAX_PAUSE}: without it a mail failed and came back hundreds of
     * times a second, a log line each. The pause holds the worker's slot, not a thread.
     */
    private Optional<Failed> deliver(MailQueue.MailQueueItem item) {
        Mail mail = item.getMail();
        return MDCBuilder.withMdc(DeliveryTrial.context(mail), () -> {
            TimeMetric timer = trial.timer();
            try {
                trial.attempt(mail);
                item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                timer.stopAndPublish();
                failures.succeeded();
                LifecycleUtil.dispose(mail);
                return Optional.<Failed>empty();
            } catch (Exception e) {
                return Optional.of(new Failed(item, mail.getName(), failures.failed(mail.getName(), e)));
            }
        });
    }

    private Mono<Void> giveBack(Optional<Failed> failed) {
        if (failed.isEmpty()) {
            return Mono.empty();
        }
        Failed it = failed.get();
        return Mono.delay(it.pause, workers)
            .then(Mono.fromRunnable(() -> MDCBuilder.withMdc(DeliveryTrial.context(it.item.getMail()), () -> {
                try {
                    it.item.done(MailQueue.MailQueueItem.CompletionStatus.RETRY);
                } catch (Exception again) {
                    failures.notGivenBack(it.mailName, again);
                } finally {
                    LifecycleUtil.dispose(it.item.getMail());
                }
            })));
    }

    /** A mail whose attempt failed, and how long to wait before giving it back. */
    private static final class Failed {
        private final MailQueue.MailQueueItem item;
        private final String mailName;
        private final Duration pause;

        Failed(MailQueue.MailQueueItem item, String mailName, Duration pause) {
            this.item = item;
            this.mailName = mailName;
            this.pause = pause;
        }
    }

    @Override
    public void destroy() {
        if (dequeuing != null) {
            dequeuing.dispose();
        }
        if (workers != null) {
            workers.dispose();
        }
        if (idleSweeper != null) {
            idleSweeper.shutdownNow();
        }
        if (toHost != null) {
            toHost.close();
        }
    }

    /** The bounce and success processors: James checks at start-up that they exist. */
    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        ImmutableSet.Builder<ProcessingState> states = ImmutableSet.builder();
        configuration.getBounceProcessor().ifPresent(states::add);
        configuration.getOnSuccess().ifPresent(states::add);
        return states.build();
    }

    @Override
    public String getMailetInfo() {
        return NAME;
    }
}
