package org.relayguard.mailets;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.mailet.base.GenericMailet;

/**
 * Makes the mailet that delivers one route, PooledDelivery or James's RemoteDelivery, with the
 * James services both take: the routing mailets ({@link TenantDelivery}, {@link InternetDelivery})
 * choose which, and hand it its configuration.
 */
final class DeliveryMailets {
    private final DNSService dnsService;
    private final DomainList domainList;
    private final MailQueueFactory<?> queueFactory;
    private final MetricFactory metricFactory;
    private final RemoteDelivery.ThreadState threads;

    DeliveryMailets(DNSService dnsService, DomainList domainList, MailQueueFactory<?> queueFactory, MetricFactory metricFactory,
                    RemoteDelivery.ThreadState threads) {
        this.dnsService = dnsService;
        this.domainList = domainList;
        this.queueFactory = queueFactory;
        this.metricFactory = metricFactory;
        this.threads = threads;
    }

    DomainList domainList() {
        return domainList;
    }

    GenericMailet create(boolean pooled) {
        return pooled
            ? new PooledDelivery(dnsService, domainList, queueFactory, metricFactory, threads)
            : new RemoteDelivery(dnsService, domainList, queueFactory, metricFactory, threads);
    }
}
