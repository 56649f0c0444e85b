package org.relayguard.mailets;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;

/**
 * Step 4, the internet route: a {@link PooledDelivery} delivers the route's queue, many mails per
 * connection, to the outbound gateway ({@code gateway}) when one is set, else to each domain's MX
 * hosts in preference order with a pool per MX host; SMTPUTF8, DSN (ORCPT too) and SIZE go on to
 * a host that offers them. {@code delivery} {@code RemoteDelivery} delivers with James's
 * {@link RemoteDelivery} instead (a new connection per mail; a mail with a UTF-8 local part is then
 * kept from it, {@code 5.6.7}): the way back.
 *
 * <p>Parameters: {@code delivery} ({@code PooledDelivery}, the default, or {@code RemoteDelivery}),
 * and every parameter of RemoteDelivery ({@code outgoing}, {@code gateway}, {@code delayTime},
 * {@code maxRetries}, {@code bounceProcessor}, {@code startTLS}, {@code mail.*}…) and of
 * PooledDelivery ({@code maxConnectionsPerHost}, {@code maxConnections}, {@code idleTimeout}:
 * checked whichever mailet delivers), handed to the mailet that delivers. Both keep the same queue
 * and the same retry attributes, so switching between them across a restart keeps the mail queued.</p>
 *
 * <pre>{@code
 * <mailet match="All" class="org.relayguard.mailets.InternetDelivery">
 *     <delivery>PooledDelivery</delivery>
 *     <outgoing>to-internet</outgoing>
 *     <gateway>${env:RELAYGUARD_OUTBOUND_GATEWAY:-}</gateway>
 *     <delayTime>5000, 60000, 300000, 4*900000, 119*3600000</delayTime>
 *     <maxRetries>126</maxRetries>
 *     <sendpartial>true</sendpartial>
 *     <bounceProcessor>bounces</bounceProcessor>
 *     <startTLS>true</startTLS>
 *     <mail.smtp.ssl.trust>*</mail.smtp.ssl.trust>
 * </mailet>
 * }</pre>
 */
public class InternetDelivery extends GenericMailet {
    static final String NAME = "InternetDelivery";
    /** Which mailet delivers: {@code PooledDelivery} (the default) or {@code RemoteDelivery}. */
    static final String DELIVERY = "delivery";
    static final String GATEWAY = "gateway";

    private final DeliveryServices services;
    private GenericMailet delivery;

    @Inject
    public InternetDelivery(DeliveryServices services) {
        this.services = services;
    }

    @Override
    public void init() throws MessagingException {
        boolean pooled = DeliveryServices.pooled(NAME, getInitParameter(DELIVERY));
        // Checked whichever mailet delivers: a wrong value fails now, not when the pool is chosen one day.
        try {
            int perHost = PooledDelivery.positive(getMailetConfig(), PooledDelivery.MAX_CONNECTIONS_PER_HOST,
                PooledDelivery.DEFAULT_MAX_CONNECTIONS_PER_HOST);
            String gateway = getInitParameter(GATEWAY);
            PooledDelivery.maxConnections(getMailetConfig(), gateway != null && !gateway.isBlank(), perHost);
            PooledDelivery.positive(getMailetConfig(), PooledDelivery.IDLE_TIMEOUT, (int) PooledDelivery.DEFAULT_IDLE_TIMEOUT.toMillis());
        } catch (MessagingException e) {
            throw new MessagingException(NAME + ": " + e.getMessage(), e);
        }
        delivery = services.mailet(pooled);
        try {
            delivery.init(new DeliveryConfig(getMailetConfig(), getMailetName(), pooled ? Set.of(DELIVERY)
                : Set.of(DELIVERY, PooledDelivery.MAX_CONNECTIONS_PER_HOST, PooledDelivery.MAX_CONNECTIONS, PooledDelivery.IDLE_TIMEOUT), Map.of()));
        } catch (MessagingException | RuntimeException e) {
            throw new MessagingException(NAME + ": " + (pooled ? PooledDelivery.NAME : "RemoteDelivery")
                + " refused its configuration: " + e.getMessage(), e);
        }
    }

    /** Which mailet delivers, for the start-up log and tests. */
    @Override
    public String getMailetInfo() {
        return NAME + " (" + (delivery == null ? "not started" : delivery.getClass().getSimpleName()) + ")";
    }

    boolean isPooled() {
        return delivery instanceof PooledDelivery;
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (!isPooled() && Utf8Envelope.keptFromRemoteDelivery(mail, NAME)) {
            return;
        }
        delivery.service(mail);
    }

    @Override
    public void destroy() {
        if (delivery != null) {
            delivery.destroy();
        }
    }

    /** The bounce and success processors of the mailet that delivers: James checks that they exist. */
    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        return delivery.requiredProcessingState();
    }
}
