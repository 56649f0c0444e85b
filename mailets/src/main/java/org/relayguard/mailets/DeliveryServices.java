package org.relayguard.mailets;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.mailet.base.GenericMailet;

/**
 * The James services a delivering mailet takes (those of James's {@link RemoteDelivery}), and
 * whether it starts its delivery threads. James's Guice loader injects it into
 * {@link PooledDelivery} and the routing mailets ({@link TenantDelivery}, {@link InternetDelivery}),
 * which make the mailet that delivers a route with {@link #mailet(boolean)}: one place that holds
 * the services, instead of a pair of constructors per mailet.
 */
final class DeliveryServices {
    private final DNSService dnsService;
    private final DomainList domainList;
    private final MailQueueFactory<?> queueFactory;
    private final MetricFactory metricFactory;
    private final RemoteDelivery.ThreadState threads;

    @Inject
    DeliveryServices(DNSService dnsService, DomainList domainList, MailQueueFactory<?> queueFactory, MetricFactory metricFactory) {
        this(dnsService, domainList, queueFactory, metricFactory, RemoteDelivery.ThreadState.START_THREADS);
    }

    private DeliveryServices(DNSService dnsService, DomainList domainList, MailQueueFactory<?> queueFactory, MetricFactory metricFactory,
                             RemoteDelivery.ThreadState threads) {
        this.dnsService = dnsService;
        this.domainList = domainList;
        this.queueFactory = queueFactory;
        this.metricFactory = metricFactory;
        this.threads = threads;
    }

    /** Services whose mailets queue mail and never deliver it (tests, the parameter check): RemoteDelivery's {@code DO_NOT_START_THREADS}. */
    static DeliveryServices queueOnly(DNSService dnsService, DomainList domainList, MailQueueFactory<?> queueFactory, MetricFactory metricFactory) {
        return new DeliveryServices(dnsService, domainList, queueFactory, metricFactory, RemoteDelivery.ThreadState.DO_NOT_START_THREADS);
    }

    DNSService dnsService() {
        return dnsService;
    }

    DomainList domainList() {
        return domainList;
    }

    MailQueueFactory<?> queueFactory() {
        return queueFactory;
    }

    MetricFactory metricFactory() {
        return metricFactory;
    }

    boolean startsThreads() {
        return threads == RemoteDelivery.ThreadState.START_THREADS;
    }

    /**
     * A routing mailet's {@code delivery} parameter: whether {@link PooledDelivery} delivers (the
     * default) or James's RemoteDelivery; anything else is refused, naming the mailet.
     */
    static boolean pooled(String mailetName, String delivery) throws MessagingException {
        String chosen = delivery == null ? PooledDelivery.NAME : delivery.trim();
        switch (chosen) {
            case PooledDelivery.NAME:
                return true;
            case "RemoteDelivery":
                return false;
            default:
                throw new MessagingException(mailetName + ": parameter 'delivery' is PooledDelivery or RemoteDelivery, not '" + chosen + "'");
        }
    }

    /** The mailet that delivers one route: PooledDelivery, or James's RemoteDelivery. */
    GenericMailet mailet(boolean pooled) {
        return pooled
            ? new PooledDelivery(this)
            : new RemoteDelivery(dnsService, domainList, queueFactory, metricFactory, threads);
    }
}
