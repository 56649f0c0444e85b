package org.relayguard.server.queue;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableSet;

/**
 * The server's mail queues, each an Artemis queue of the same name (prefixed {@code mailqueue.})
 * on one {@link ArtemisBroker}. A queue created once survives restarts with its mail; the queues
 * found in the broker at start-up are listed too (webadmin shows them, with their mail).
 */
public final class ArtemisMailQueueFactory implements MailQueueFactory<ManageableMailQueue>, AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ArtemisMailQueueFactory.class);
    private final ArtemisBroker broker;
    private final MailQueueItemDecoratorFactory decorators;
    private final MetricFactory metrics;
    private final GaugeRegistry gauges;
    private final Producers producers;
    private final MailBodies bodies;
    private final HandedOutMails handedOut = new HandedOutMails();
    private final ConcurrentMap<MailQueueName, ArtemisMailQueue> queues = new ConcurrentHashMap<>();

    public ArtemisMailQueueFactory(ArtemisBroker broker, MailQueueItemDecoratorFactory decorators,
                                   MetricFactory metrics, GaugeRegistry gauges) throws IOException {
        this.broker = broker;
        this.decorators = decorators;
        this.metrics = metrics;
        this.gauges = gauges;
        this.producers = new Producers(broker);
        this.bodies = new MailBodies(broker.directory().resolve("mails"), broker.bodiesInFiles());
    }

    @Override
    public Optional<ManageableMailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        if (queues.containsKey(name) || broker.queue(ArtemisMailQueue.addressOf(name)) != null) {
            return Optional.of(createQueue(name, count));
        }
        return Optional.empty();
    }

    @Override
    public ManageableMailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return queues.computeIfAbsent(name, this::open);
    }

    private ArtemisMailQueue open(MailQueueName name) {
        String address = ArtemisMailQueue.addressOf(name);
        if (broker.queue(address) == null) {
            try {
                broker.server().createQueue(new QueueConfiguration(address)
                    .setAddress(address)
                    .setRoutingType(RoutingType.ANYCAST)
                    .setDurable(true)
                    .setAutoCreateAddress(true)
                    .setAutoCreated(false), true);
            } catch (Exception e) {
                throw new IllegalStateException("Cannot create mail queue " + name.asString(), e);
            }
        }
        return new ArtemisMailQueue(name, broker, producers, bodies, handedOut, decorators, metrics, gauges);
    }

    /**
     * Queues here a mail of another node's store that this node took over ({@link PeerStores}),
     * with its envelope, body, sequence and due time; false, and logged, for an entry it cannot
     * take (none of this queue's, or one whose body is a file on the other node's disk), which
     * stays where it is.
     */
    boolean adopt(MailQueueName name, org.apache.activemq.artemis.api.core.Message message) throws Exception {
        if (QueueEntry.envelope(message) == null || bodies.file(message).isPresent()) {
            LOGGER.error("Mail queue {}: an entry of another node's store cannot be taken over (no envelope, or a body file); left there",
                name.asString());
            return false;
        }
        queues.computeIfAbsent(name, this::open).adopt(QueueEntry.taken(message, bodies.of(message)));
        return true;
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        ActiveMQServer server = broker.server();
        ImmutableSet.Builder<MailQueueName> names = ImmutableSet.builder();
        names.addAll(queues.keySet());
        for (SimpleString queue : server.getPostOffice().getAddresses()) {
            String address = queue.toString();
            if (address.startsWith(ArtemisMailQueue.ADDRESS_PREFIX)) {
                names.add(MailQueueName.of(address.substring(ArtemisMailQueue.ADDRESS_PREFIX.length())));
            }
        }
        return names.build();
    }

    @Override
    public void close() {
        producers.close();
    }
}
