package org.relayguard.server.queue;

import java.time.Duration;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A James mail queue on an Artemis queue. A queue entry is a small durable message holding the
 * mail's envelope ({@link MailEnvelope}) and its body or the id of its body file
 * ({@link MailBodies}): {@link QueueEntry}. A delayed mail (a retry) is an Artemis <em>scheduled
 * message</em>: the broker keeps it aside until it is due, so a consumer never looks at it, and
 * mail that is due is never held behind mail waiting for a later retry (there is no selector). A
 * mail leaves the queue when delivered ({@code SUCCESS}) or removed by an operator; otherwise it is
 * queued again.
 *
 * <p>James's one interface, served by three parts: the enqueue ({@link QueueSender}), the consumer
 * with each mail's acknowledgement or retry ({@link QueueConsumer}), and webadmin's management
 * ({@link QueueManagement}).</p>
 */
final class ArtemisMailQueue implements ManageableMailQueue {
    static final String ADDRESS_PREFIX = "mailqueue.";

    private final MailQueueName name;
    private final QueueSender sender;
    private final QueueConsumer consumer;
    private final QueueManagement management;

    ArtemisMailQueue(MailQueueName name, ArtemisBroker broker, Producers producers, MailBodies bodies, HandedOutMails handedOut,
                     MailQueueItemDecoratorFactory decorators, MetricFactory metrics, GaugeRegistry gauges) {
        this.name = name;
        BrokerQueue queue = new BrokerQueue(name, broker);
        this.consumer = new QueueConsumer(queue, broker, bodies, handedOut, decorators, metrics);
        this.sender = new QueueSender(queue, producers, bodies, consumer, metrics);
        this.management = new QueueManagement(queue, bodies, sender);
        gauges.register(QUEUE_SIZE_METRIC_NAME_PREFIX + name.asString(), management::size);
    }

    /** Queues an entry as it is (a mail taken over from another node's store), once it is stored. */
    void adopt(QueueEntry entry) throws Exception {
        sender.send(entry);
    }

    static String addressOf(MailQueueName name) {
        return ADDRESS_PREFIX + name.asString();
    }

    @Override
    public MailQueueName getName() {
        return name;
    }

    @Override
    public void enQueue(Mail mail) throws MailQueueException {
        enQueue(mail, Duration.ZERO);
    }

    @Override
    public void enQueue(Mail mail, Duration delay) throws MailQueueException {
        sender.enQueue(mail, delay);
    }

    @Override
    public Publisher<Void> enqueueReactive(Mail mail) {
        return Mono.<Void>fromRunnable(() -> {
            try {
                enQueue(mail);
            } catch (MailQueueException e) {
                throw new RuntimeException(e);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public Publisher<MailQueueItem> deQueue() {
        return consumer.deQueue();
    }

    /** How many commits this queue's consumer made: what its group commit bundles, for the tests. */
    long consumerCommits() {
        return consumer.commits();
    }

    @Override
    public long getSize() {
        return management.size();
    }

    @Override
    public long flush() throws MailQueueException {
        return management.flush();
    }

    @Override
    public long clear() throws MailQueueException {
        return management.clear();
    }

    @Override
    public long remove(Type type, String value) throws MailQueueException {
        return management.remove(type, value);
    }

    @Override
    public MailQueueIterator browse() throws MailQueueException {
        return management.browse();
    }

    @Override
    public void close() {
    }
}
