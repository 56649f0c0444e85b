package org.relayguard.server.queue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import javax.mail.MessagingException;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.core.filter.Filter;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;
import org.apache.activemq.artemis.core.server.impl.AckReason;
import org.apache.activemq.artemis.core.server.impl.QueueImpl;
import org.apache.activemq.artemis.selector.filter.Filterable;
import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A James mail queue on an Artemis queue. A queue entry is a small durable message holding the
 * mail's envelope ({@link MailEnvelope}) and the id of its body ({@link MailBodies}). A delayed
 * mail (a retry) is an Artemis <em>scheduled message</em>: the broker keeps it aside until it is
 * due, so a consumer never looks at it, and mail that is due is never held behind mail waiting
 * for a later retry (there is no selector). A mail leaves the queue when delivered
 * ({@code SUCCESS}) or removed by an operator; otherwise it is queued again.
 */
final class ArtemisMailQueue implements ManageableMailQueue {
    private static final Logger LOGGER = LoggerFactory.getLogger(ArtemisMailQueue.class);
    static final String ADDRESS_PREFIX = "mailqueue.";
    private static final String ENVELOPE = "envelope";
    /** Enqueue order, kept by retries and flushes: browse lists in this order. */
    private static final String SEQUENCE = "sequence";
    /** When the mail is (or was) due: what webadmin shows as {@code nextDelivery}. */
    private static final String DUE = "due";
    private static final long JOURNAL_WAIT_MILLIS = 30_000;
    private static final AtomicLong LAST_SEQUENCE = new AtomicLong();

    private final MailQueueName name;
    private final SimpleString address;
    private final ArtemisBroker broker;
    private final Producers producers;
    private final MailBodies bodies;
    private final MailQueueItemDecoratorFactory decorators;
    private final MetricFactory metrics;
    private final Metric enqueued;
    private final Metric dequeued;
    /** The queue's count of filed mails and how many we have sent it since, for the broker's current run. */
    private volatile Filing filing;
    /** The mails handed out to a deliverer and not done yet, by identity: a deliverer queues the very object again to retry it. */
    private final Map<Mail, Item> handedOut = new IdentityHashMap<>();

    ArtemisMailQueue(MailQueueName name, ArtemisBroker broker, Producers producers, MailBodies bodies,
                     MailQueueItemDecoratorFactory decorators, MetricFactory metrics, GaugeRegistry gauges) {
        this.name = name;
        this.address = SimpleString.toSimpleString(addressOf(name));
        this.broker = broker;
        this.producers = producers;
        this.bodies = bodies;
        this.decorators = decorators;
        this.metrics = metrics;
        this.enqueued = metrics.generate(ENQUEUED_METRIC_NAME_PREFIX + name.asString());
        this.dequeued = metrics.generate(DEQUEUED_METRIC_NAME_PREFIX + name.asString());
        gauges.register(QUEUE_SIZE_METRIC_NAME_PREFIX + name.asString(), this::sizeOrZero);
        this.filing = newFiling();
    }

    /** The queue's filed count at a moment of one run of the broker, and the mails sent to it since. */
    private static final class Filing {
        private final long generation;
        private final long filedBefore;
        private final AtomicLong sent = new AtomicLong();

        Filing(long generation, long filedBefore) {
            this.generation = generation;
            this.filedBefore = filedBefore;
        }
    }

    private Filing newFiling() {
        long generation = broker.generation();
        Queue queue = broker.queue(address.toString());
        return new Filing(generation, queue == null ? 0 : queue.getMessagesAdded());
    }

    /** A restarted broker counts from its journal again: start a new count with it. */
    private Filing filing() {
        Filing current = filing;
        if (current.generation != broker.generation()) {
            synchronized (this) {
                if (filing.generation != broker.generation()) {
                    filing = newFiling();
                }
                current = filing;
            }
        }
        return current;
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

    /**
     * Queues the mail, or, when it is a mail this queue handed out and that is not done yet (a
     * delivery mailet queuing it again for a retry), keeps the new entry for that mail's
     * {@code done}: the new entry and the acknowledgement of the old one are then written in one
     * transaction, so a stop or a crash in between can neither lose the mail nor deliver it twice.
     */
    @Override
    public void enQueue(Mail mail, Duration delay) throws MailQueueException {
        metrics.runPublishingTimerMetric(ENQUEUED_TIMER_METRIC_NAME_PREFIX + name.asString(), () -> {
            MailBodies.Body body = null;
            try {
                long now = System.currentTimeMillis();
                long due = delay.isNegative() || delay.isZero() ? now : saturatedAdd(now, delay);
                String envelope = MailEnvelope.write(mail);
                long sequence = nextSequence();
                Item handedOut = handedOut(mail);
                if (handedOut != null) {
                    // A retry of an unchanged mail names the body it was read from: nothing to write.
                    // Only as the replacement its done sends: once done, that body may be gone.
                    Optional<MailBodies.Body> same = bodies.unchanged(mail, handedOut.body);
                    if (same.isPresent() && handedOut.replaceOnDone(new Entry(envelope, same.get(), sequence, due, due > now))) {
                        return;
                    }
                }
                body = bodies.store(mail);
                Entry entry = new Entry(envelope, body, sequence, due, due > now);
                if (handedOut == null || !handedOut.replaceOnDone(entry)) {
                    send(entry);
                }
            } catch (Exception e) {
                if (body != null) {
                    body.delete();
                }
                throw new RuntimeException(e);
            }
        });
        enqueued.increment();
    }

    private Item handedOut(Mail mail) {
        synchronized (handedOut) {
            return handedOut.get(mail);
        }
    }

    private static long saturatedAdd(long now, Duration delay) {
        try {
            return Math.addExact(now, delay.toMillis());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long nextSequence() {
        long now = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
        return LAST_SEQUENCE.updateAndGet(last -> Math.max(last + 1, now));
    }

    private void send(Entry entry) throws Exception {
        Filing current = filing();
        producers.send(address, entry::toMessage);
        awaitFiled(current, current.sent.incrementAndGet());
    }

    /** A queue entry to be sent: the mail's envelope, its body, its place in the queue and when it is due. */
    private static final class Entry {
        private final String envelope;
        private final MailBodies.Body body;
        private final long sequence;
        private final long due;
        private final boolean scheduled;

        Entry(String envelope, MailBodies.Body body, long sequence, long due, boolean scheduled) {
            this.envelope = envelope;
            this.body = body;
            this.sequence = sequence;
            this.due = due;
            this.scheduled = scheduled;
        }

        /** The same mail and body, due now, in its old place. */
        static Entry dueNow(Message message, MailBodies.Body body) {
            return new Entry(message.getStringProperty(ENVELOPE), body,
                message.getLongProperty(SEQUENCE), System.currentTimeMillis(), false);
        }

        ClientMessage toMessage(ClientSession session) {
            ClientMessage message = session.createMessage(true);
            message.putStringProperty(ENVELOPE, envelope);
            body.putInto(message);
            message.putLongProperty(SEQUENCE, sequence);
            message.putLongProperty(DUE, due);
            if (scheduled) {
                // Message.HDR_SCHEDULED_DELIVERY_TIME: the broker holds it until then, out of the consumers' way.
                message.setScheduledDeliveryTime(due);
            }
            return message;
        }
    }

    /**
     * Waits until the queue has filed as many mails as were sent to it. The broker answers a send
     * once the journal holds the message (so it is safe) but files it in the queue a moment later,
     * on another thread: without this wait a listing, a count or a removal right after the
     * enqueue (webadmin's, or James's contract tests') would not see it. With several senders at
     * once a sender may be let go by another's mail: then only the listing lags, never the mail.
     */
    private void awaitFiled(Filing counts, long sentCount) throws MailQueueException {
        Queue queue = queue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (queue.getMessagesAdded() - counts.filedBefore < sentCount) {
            if (System.nanoTime() > deadline || counts.generation != broker.generation()) {
                LOGGER.warn("Mail queue {}: the broker has not filed a stored mail after 2 s; it is safe, listings may lag", name.asString());
                return;
            }
            // Usually a few microseconds: park briefly rather than sleep a whole millisecond.
            LockSupport.parkNanos(20_000);
        }
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
        return Flux.create(sink -> {
            Receiver receiver;
            try {
                receiver = new Receiver(sink);
            } catch (ActiveMQException e) {
                sink.error(e);
                return;
            }
            sink.onRequest(receiver::request);
            sink.onDispose(receiver::stop);
            Thread thread = new Thread(receiver::run, "mailqueue-" + name.asString());
            thread.setDaemon(true);
            thread.start();
        });
    }

    /**
     * One consumer, fed on its own thread as the subscriber asks. Its session stays open until
     * the last mail it handed out is done, so that a mail is acknowledged on the session that
     * received it even after the subscriber left. The session is transacted: a mail's
     * acknowledgement and the entry that replaces it (a retry) are committed together.
     */
    private final class Receiver {
        private final FluxSink<MailQueueItem> sink;
        private volatile Link link;
        private final Semaphore demand = new Semaphore(0);
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicInteger outstanding = new AtomicInteger();
        private final AtomicBoolean closed = new AtomicBoolean();

        Receiver(FluxSink<MailQueueItem> sink) throws ActiveMQException {
            this.sink = sink;
            this.link = new Link();
        }

        /**
         * Waits for the broker to run again after it stopped (an I/O error), then receives on a new
         * session. A mail handed out on the old one and not acknowledged is in the queue again.
         */
        private void reconnect(Exception cause) throws InterruptedException {
            LOGGER.warn("Mail queue {}: the broker connection is gone ({}); reconnecting", name.asString(), cause.toString());
            link.closeQuietly();
            while (!stopped.get()) {
                Thread.sleep(1_000);
                if (!broker.isActive()) {
                    continue;
                }
                try {
                    link = new Link();
                    LOGGER.warn("Mail queue {}: receiving again", name.asString());
                    return;
                } catch (ActiveMQException | RuntimeException e) {
                    LOGGER.debug("Mail queue {}: reconnecting", name.asString(), e);
                }
            }
        }

        void request(long count) {
            demand.release((int) Math.min(count, Integer.MAX_VALUE / 2));
        }

        void stop() {
            stopped.set(true);
            closeWhenIdle();
        }

        void run() {
            try {
                while (!stopped.get()) {
                    if (!demand.tryAcquire(1, TimeUnit.SECONDS)) {
                        continue;
                    }
                    Link current = link;
                    try {
                        ClientMessage message = null;
                        while (message == null && !stopped.get()) {
                            if (current.generation != broker.generation()) {
                                throw new IllegalStateException("the broker was restarted");
                            }
                            message = current.consumer.receive(1_000);
                        }
                        if (message != null) {
                            emit(current, message);
                        } else {
                            demand.release();
                        }
                    } catch (ActiveMQException | IllegalStateException e) {
                        demand.release();
                        if (!stopped.get()) {
                            reconnect(e);
                        }
                    }
                }
            } catch (Exception e) {
                if (!stopped.get()) {
                    LOGGER.error("Mail queue {}: dequeue stopped", name.asString(), e);
                    sink.error(e);
                }
            } finally {
                closeWhenIdle();
            }
        }

        private void emit(Link from, ClientMessage message) throws ActiveMQException {
            MailBodies.Body body;
            MailImpl mail;
            try {
                body = bodies.of(message);
                mail = MailEnvelope.read(message.getStringProperty(ENVELOPE));
                if (!body.exists()) {
                    // An entry whose mail went on and whose body is gone: left by a crash of a version that did not commit retries with their acknowledgement.
                    LOGGER.warn("Mail queue {}: entry for mail {} has no body any more, dropped as a duplicate", name.asString(), mail.getName());
                    complete(from, message, null);
                    demand.release();
                    return;
                }
                mail.setMessageContent(body.source());
            } catch (MessagingException | RuntimeException e) {
                LOGGER.error("Mail queue {}: unreadable entry, kept", name.asString(), e);
                demand.release();
                return;
            }
            outstanding.incrementAndGet();
            dequeued.increment();
            Item item = new Item(this, from, message, mail, body);
            synchronized (handedOut) {
                handedOut.put(mail, item);
            }
            sink.next(decorators.decorate(item, name));
        }

        /**
         * Done with a mail: delivered (its entry goes), to be tried again now (the same entry
         * again at its place), or replaced by the entry its deliverer queued meanwhile (a retry).
         */
        void done(Item item, MailItemStatus status, Entry replacement) throws MailQueueException {
            ClientMessage message = item.message;
            MailBodies.Body oldBody = item.body;
            try {
                Entry next = replacement != null ? replacement : status == MailItemStatus.AGAIN ? Entry.dueNow(message, oldBody) : null;
                Filing counts = filing();
                complete(item.link, message, next);
                if (next != null) {
                    awaitFiled(counts, counts.sent.incrementAndGet());
                }
                if (next == null || !next.body.isSameAs(oldBody)) {
                    oldBody.delete();
                }
            } catch (Exception e) {
                // The old entry stays, naming its body: a replacement naming the same one keeps it.
                if (replacement != null && !replacement.body.isSameAs(oldBody)) {
                    replacement.body.delete();
                }
                throw new MailQueueException("Mail queue " + name.asString() + ": cannot complete a delivery", e);
            } finally {
                synchronized (handedOut) {
                    handedOut.remove(item.mail);
                }
                outstanding.decrementAndGet();
                closeWhenIdle();
            }
        }

        /** Acknowledges the message and sends the entry that follows it, if any, in one transaction. */
        private void complete(Link on, ClientMessage message, Entry next) throws ActiveMQException {
            synchronized (on.session) {
                try {
                    if (next != null) {
                        on.producer.send(next.toMessage(on.session));
                    }
                    message.individualAcknowledge();
                    on.session.commit();
                } catch (ActiveMQException | RuntimeException e) {
                    // Neither happened: the message stays in the queue, delivered again after a restart or a new consumer.
                    on.rollbackQuietly();
                    throw e;
                }
            }
        }

        void discard(Entry entry) {
            entry.body.delete();
        }

        private void closeWhenIdle() {
            if (stopped.get() && outstanding.get() == 0 && closed.compareAndSet(false, true)) {
                link.closeQuietly();
            }
        }
    }

    /** A transacted session on one run of the broker, with its consumer and the producer of retries. */
    private final class Link {
        private final long generation;
        private final ClientSession session;
        private final ClientConsumer consumer;
        private final ClientProducer producer;

        Link() throws ActiveMQException {
            this.generation = broker.generation();
            this.session = broker.sessions().createSession(null, null, false, false, false, false, 0);
            try {
                this.consumer = session.createConsumer(address);
                this.producer = session.createProducer(address);
                session.start();
            } catch (ActiveMQException | RuntimeException e) {
                session.close();
                throw e;
            }
        }

        void rollbackQuietly() {
            try {
                session.rollback(false);
            } catch (ActiveMQException e) {
                LOGGER.debug("Mail queue {}: rolling back", name.asString(), e);
            }
        }

        void closeQuietly() {
            try {
                synchronized (session) {
                    session.close();
                }
            } catch (ActiveMQException e) {
                LOGGER.debug("Mail queue {}: closing a consumer", name.asString(), e);
            }
        }
    }

    private enum MailItemStatus { DONE, AGAIN }

    private static final class Item implements MailQueueItem {
        private final Receiver receiver;
        private final Link link;
        private final ClientMessage message;
        private final Mail mail;
        private final MailBodies.Body body;
        /** Set once done is called; from then on a new entry for the mail is queued on its own. */
        private boolean completed;
        private Entry replacement;

        Item(Receiver receiver, Link link, ClientMessage message, Mail mail, MailBodies.Body body) {
            this.receiver = receiver;
            this.link = link;
            this.message = message;
            this.mail = mail;
            this.body = body;
        }

        @Override
        public Mail getMail() {
            return mail;
        }

        /** Keeps the entry to send with this mail's acknowledgement; false once it is done. */
        synchronized boolean replaceOnDone(Entry entry) {
            if (completed) {
                return false;
            }
            if (replacement != null && !replacement.body.isSameAs(body)) {
                // Queued twice before done: the later state of the mail wins (the body it was read from stays).
                receiver.discard(replacement);
            }
            replacement = entry;
            return true;
        }

        @Override
        public void done(CompletionStatus status) throws MailQueueException {
            Entry entry;
            synchronized (this) {
                if (completed) {
                    return;
                }
                completed = true;
                entry = replacement;
            }
            receiver.done(this, status == CompletionStatus.SUCCESS ? MailItemStatus.DONE : MailItemStatus.AGAIN, entry);
        }
    }

    private long sizeOrZero() {
        Queue queue = broker.queue(address.toString());
        return queue == null ? 0 : queue.getMessageCount();
    }

    @Override
    public long getSize() {
        return sizeOrZero();
    }

    /**
     * Makes every waiting mail due now: each is queued again without delay, then its waiting entry
     * removed (through the queue's own delete, which keeps its counts right for scheduled entries).
     */
    @Override
    public long flush() throws MailQueueException {
        Queue queue = queue();
        java.util.Set<Long> flushed = new java.util.HashSet<>();
        for (MessageReference reference : queue.getScheduledMessages()) {
            Message message = reference.getMessage();
            try {
                send(Entry.dueNow(message, bodies.of(message)));
                flushed.add(message.getMessageID());
            } catch (Exception e) {
                throw new MailQueueException("Mail queue " + name.asString() + ": flush failed", e);
            }
        }
        if (!flushed.isEmpty()) {
            try {
                queue.deleteMatchingReferences(QueueImpl.DEFAULT_FLUSH_LIMIT,
                    new EnvelopeFilter(message -> flushed.contains(message.getMessageID())), AckReason.KILLED);
            } catch (Exception e) {
                throw new MailQueueException("Mail queue " + name.asString() + ": flush failed", e);
            }
        }
        awaitJournal();
        return flushed.size();
    }

    @Override
    public long clear() throws MailQueueException {
        return delete(mail -> true);
    }

    @Override
    public long remove(Type type, String value) throws MailQueueException {
        switch (type) {
            case Name:
                return delete(envelope -> value.equals(envelope.path("name").asText(null)));
            case Sender:
                return delete(envelope -> value.equals(envelope.path("sender").asText(null)));
            case Recipient:
                return delete(envelope -> recipients(envelope).contains(value));
            default:
                throw new IllegalArgumentException("Unknown type " + type);
        }
    }

    private static List<String> recipients(JsonNode envelope) {
        List<String> recipients = new ArrayList<>();
        envelope.path("recipients").forEach(recipient -> recipients.add(normalized(recipient.asText())));
        return recipients;
    }

    private static String normalized(String address) {
        try {
            return new MailAddress(address).asString();
        } catch (Exception e) {
            return address;
        }
    }

    /** Removes the matching waiting and due mails (not those being delivered now) and their bodies. */
    private long delete(Predicate<JsonNode> matching) throws MailQueueException {
        Queue queue = queue();
        List<String> removedBodies = new ArrayList<>();
        Filter filter = new EnvelopeFilter(message -> {
            String envelope = message.getStringProperty(ENVELOPE);
            if (envelope != null && matching.test(MailEnvelope.parse(envelope))) {
                String file = message.getStringProperty(MailBodies.BODY_FILE);
                if (file != null) {
                    removedBodies.add(file);
                }
                return true;
            }
            return false;
        });
        try {
            int count = queue.deleteMatchingReferences(QueueImpl.DEFAULT_FLUSH_LIMIT, filter, AckReason.KILLED);
            awaitJournal();
            removedBodies.forEach(bodies::delete);
            return count;
        } catch (Exception e) {
            throw new MailQueueException("Mail queue " + name.asString() + ": remove failed", e);
        }
    }

    @Override
    public MailQueueIterator browse() throws MailQueueException {
        Queue queue = queue();
        List<Message> messages = new ArrayList<>();
        queue.getScheduledMessages().forEach(reference -> messages.add(reference.getMessage()));
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext()) {
                messages.add(references.next().getMessage());
            }
        }
        messages.sort(Comparator.comparingLong(message -> message.getLongProperty(SEQUENCE)));
        List<MailQueueItemView> views = new ArrayList<>();
        for (Message message : messages) {
            view(message).ifPresent(views::add);
        }
        var iterator = views.iterator();
        return new MailQueueIterator() {
            @Override
            public boolean hasNext() {
                return iterator.hasNext();
            }

            @Override
            public MailQueueItemView next() {
                return iterator.next();
            }

            @Override
            public void close() {
            }
        };
    }

    private Optional<MailQueueItemView> view(Message message) {
        try {
            MailImpl mail = MailEnvelope.read(message.getStringProperty(ENVELOPE));
            mail.setMessageNoCopy(new MimeMessageWrapper(bodies.of(message).source()));
            ZonedDateTime due = ZonedDateTime.ofInstant(Instant.ofEpochMilli(message.getLongProperty(DUE)), ZoneOffset.UTC);
            return Optional.of(new DefaultMailQueueItemView(mail, due));
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("Mail queue {}: unreadable entry skipped in a listing", name.asString(), e);
            return Optional.empty();
        }
    }

    /** The queue's counts change once the removals are in the journal: the operator sees the new size at once. */
    private void awaitJournal() throws MailQueueException {
        try {
            broker.server().getStorageManager().waitOnOperations(JOURNAL_WAIT_MILLIS);
        } catch (Exception e) {
            throw new MailQueueException("Mail queue " + name.asString() + ": journal did not complete", e);
        }
    }

    private Queue queue() throws MailQueueException {
        Queue queue = broker.queue(address.toString());
        if (queue == null) {
            throw new MailQueueException("Mail queue " + name.asString() + " does not exist in the broker");
        }
        return queue;
    }

    @Override
    public void close() {
    }

    /** Matches on the message itself; the queue's own bookkeeping never asks the other two. */
    private static final class EnvelopeFilter implements Filter {
        private final Predicate<Message> predicate;

        EnvelopeFilter(Predicate<Message> predicate) {
            this.predicate = predicate;
        }

        @Override
        public boolean match(Message message) {
            return predicate.test(message);
        }

        @Override
        public boolean match(Map<String, String> map) {
            return false;
        }

        @Override
        public boolean match(Filterable filterable) {
            return false;
        }

        @Override
        public SimpleString getFilterString() {
            return SimpleString.toSimpleString("relayguard-envelope-filter");
        }
    }
}
