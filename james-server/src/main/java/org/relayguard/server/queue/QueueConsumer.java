package org.relayguard.server.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.MessagingException;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueue.MailQueueException;
import org.apache.james.queue.api.MailQueue.MailQueueItem;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * The consumer side of one mail queue: the dequeue, and each mail's end when its deliverer is
 * done with it: acknowledged (delivered), the same entry again (to be tried again now), or
 * replaced by the entry its deliverer queued meanwhile (a retry), in one transaction with the
 * acknowledgement; so are the entries the deliverer queued meanwhile to other queues of the broker
 * (the spooler's pipeline handing the mail to a route). The mails handed out and not done yet are
 * known to every queue of the broker ({@link HandedOutMails}), for the enqueue.
 *
 * <p>Group commit: the mails done at the same moment share one commit, so one journal sync. A
 * mail's end (its acknowledgement and the entries that go with it) joins a list in memory; one
 * deliverer at a time takes the whole list, writes it to the consumer's session and commits it,
 * while the mails done during that commit gather in the next list, taken whole by one of their
 * deliverers once the commit ends. Only the committing thread uses the session: a {@code done}
 * waits for commits, never to enter a session held through another's sync. Each {@code done}
 * returns once the commit that holds its own is synced: what {@code done} promised when it
 * returned is on disk. A failed commit fails every {@code done} it held; their mails stay in the
 * queue.</p>
 */
final class QueueConsumer {
    /** The mail queue's log lines, whichever part of it writes them, keep the one logger name. */
    private static final Logger LOGGER = LoggerFactory.getLogger(ArtemisMailQueue.class);

    private final BrokerQueue queue;
    private final ArtemisBroker broker;
    private final MailBodies bodies;
    private final MailQueueItemDecoratorFactory decorators;
    private final Metric dequeued;
    /** How many commits the queue's consumer sessions made (mails done per commit, for the tests). */
    private final AtomicLong commitCount = new AtomicLong();
    /** The mails handed out by the broker's queues and not done yet, by identity: a deliverer queues the very object again to retry it. */
    private final HandedOutMails handedOut;

    QueueConsumer(BrokerQueue queue, ArtemisBroker broker, MailBodies bodies, HandedOutMails handedOut,
                  MailQueueItemDecoratorFactory decorators, MetricFactory metrics) {
        this.queue = queue;
        this.handedOut = handedOut;
        this.broker = broker;
        this.bodies = bodies;
        this.decorators = decorators;
        this.dequeued = metrics.generate(MailQueue.DEQUEUED_METRIC_NAME_PREFIX + queue.name().asString());
    }

    /** How many commits the queue's consumer sessions made so far. */
    long commits() {
        return commitCount.get();
    }

    /** The handed-out mail's item, of any queue of the broker, while its deliverer is not done with it. */
    Optional<Item> handedOut(Mail mail) {
        return handedOut.get(mail);
    }

    Publisher<MailQueueItem> deQueue() {
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
            Thread thread = new Thread(receiver::run, "mailqueue-" + queue.name().asString());
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
            LOGGER.warn("Mail queue {}: the broker connection is gone ({}); reconnecting", queue.name().asString(), cause.toString());
            link.closeQuietly();
            while (!stopped.get()) {
                Thread.sleep(1_000);
                if (!broker.isActive()) {
                    continue;
                }
                try {
                    link = new Link();
                    LOGGER.warn("Mail queue {}: receiving again", queue.name().asString());
                    return;
                } catch (ActiveMQException | RuntimeException e) {
                    LOGGER.debug("Mail queue {}: reconnecting", queue.name().asString(), e);
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
                    LOGGER.error("Mail queue {}: dequeue stopped", queue.name().asString(), e);
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
                mail = MailEnvelope.read(QueueEntry.envelope(message));
                if (!body.exists()) {
                    // An entry whose mail went on and whose body is gone: left by a crash of a version that did not commit retries with their acknowledgement.
                    LOGGER.warn("Mail queue {}: entry for mail {} has no body any more, dropped as a duplicate", queue.name().asString(), mail.getName());
                    complete(from, message, null, List.of());
                    demand.release();
                    return;
                }
                // Its writer gives 8-bit header bytes back as they came (James's writes a '?' for each).
                mail.setMessageNoCopy(new QueuedMessage(body.source()));
            } catch (MessagingException | RuntimeException e) {
                LOGGER.error("Mail queue {}: unreadable entry, kept", queue.name().asString(), e);
                demand.release();
                return;
            }
            outstanding.incrementAndGet();
            dequeued.increment();
            Item item = new Item(this, from, message, mail, body);
            handedOut.put(mail, item);
            sink.next(decorators.decorate(item, queue.name()));
        }

        /**
         * Done with a mail: delivered (its entry goes), to be tried again now (the same entry
         * again at its place), or replaced by the entry its deliverer queued meanwhile (a retry);
         * with the entries its deliverer queued to other queues meanwhile.
         */
        void done(Item item, MailItemStatus status, QueueEntry replacement, List<Forward> forwards) throws MailQueueException {
            ClientMessage message = item.message;
            MailBodies.Body oldBody = item.body;
            try {
                QueueEntry next = replacement != null ? replacement : status == MailItemStatus.AGAIN ? QueueEntry.dueNow(message, oldBody) : null;
                BrokerQueue.Filing counts = queue.filing();
                List<BrokerQueue.Filing> forwardCounts = new ArrayList<>(forwards.size());
                for (Forward forward : forwards) {
                    forwardCounts.add(forward.to.filing());
                }
                complete(item.link, message, next, forwards);
                if (next != null) {
                    queue.awaitFiled(counts);
                }
                for (int i = 0; i < forwards.size(); i++) {
                    forwards.get(i).to.awaitFiled(forwardCounts.get(i));
                }
                if (next == null || !next.body().isSameAs(oldBody)) {
                    oldBody.delete();
                }
            } catch (Exception e) {
                // The old entry stays, naming its body: a replacement naming the same one keeps it.
                if (replacement != null && !replacement.body().isSameAs(oldBody)) {
                    replacement.body().delete();
                }
                // The mail is processed again from its entry here, and queued to the other queues again then.
                forwards.forEach(forward -> forward.entry.body().delete());
                throw new MailQueueException("Mail queue " + queue.name().asString() + ": cannot complete a delivery", e);
            } finally {
                handedOut.remove(item.mail, item);
                outstanding.decrementAndGet();
                closeWhenIdle();
            }
        }

        /**
         * Acknowledges the message and sends the entries that follow it, if any, in one commit
         * with the other mails done meanwhile, and returns once that commit is synced.
         */
        private void complete(Link on, ClientMessage message, QueueEntry next, List<Forward> forwards) throws ActiveMQException {
            on.commit(new Completion(message, next, forwards));
        }

        void discard(QueueEntry entry) {
            entry.body().delete();
        }

        BrokerQueue queue() {
            return queue;
        }

        private void closeWhenIdle() {
            if (stopped.get() && outstanding.get() == 0 && closed.compareAndSet(false, true)) {
                link.closeQuietly();
            }
        }
    }

    /**
     * One mail's end, waiting for a commit: its acknowledgement and the entries that go with it.
     * {@code finished} and {@code failure} are guarded by the link's {@code commits} lock.
     */
    private static final class Completion {
        private final ClientMessage message;
        private final QueueEntry next;
        private final List<Forward> forwards;
        private boolean finished;
        private ActiveMQException failure;

        Completion(ClientMessage message, QueueEntry next, List<Forward> forwards) {
            this.message = message;
            this.next = next;
            this.forwards = forwards;
        }
    }

    /** A transacted session on one run of the broker, with its consumer and the producer of retries. */
    private final class Link {
        private final long generation;
        private final ClientSession session;
        private final ClientConsumer consumer;
        private final ClientProducer producer;
        /** Sends to any queue of the broker: the entries a deliverer queued to other queues. */
        private final ClientProducer anyAddress;
        private final Object commits = new Object();
        /** The mails done and not in a commit yet: the next commit takes them all. Guarded by {@code commits}. */
        private List<Completion> pending = new ArrayList<>();
        /** A thread is writing and committing a batch. Guarded by {@code commits}. */
        private boolean committing;

        Link() throws ActiveMQException {
            this.generation = broker.generation();
            this.session = broker.transactedSessions().createSession(null, null, false, false, false, false, 0);
            try {
                this.consumer = session.createConsumer(queue.address());
                this.producer = session.createProducer(queue.address());
                this.anyAddress = session.createProducer();
                session.start();
            } catch (ActiveMQException | RuntimeException e) {
                session.close();
                throw e;
            }
        }

        /**
         * Returns once the mail's end is committed, or throws its commit's failure. The mail joins
         * the pending list; when no commit is under way, its thread takes the whole list, writes it
         * to the session and commits it, while the mails done meanwhile join the next list (the
         * session is the committing thread's alone: a done never waits to enter it, only for a
         * commit). Whoever finds no commit under way after one ends takes the next list.
         */
        void commit(Completion mine) throws ActiveMQException {
            List<Completion> batch;
            synchronized (commits) {
                pending.add(mine);
                // Not given up on an interrupt: the mail is in the list, and its commit (within the
                // broker's call timeout) decides whether the done happened.
                boolean interrupted = false;
                while (!mine.finished && committing) {
                    try {
                        commits.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                if (mine.finished) {
                    if (mine.failure != null) {
                        throw mine.failure;
                    }
                    return;
                }
                committing = true;
                batch = pending;
                pending = new ArrayList<>();
            }
            ActiveMQException failure = write(batch);
            synchronized (commits) {
                for (Completion each : batch) {
                    each.finished = true;
                    each.failure = failure;
                }
                committing = false;
                commits.notifyAll();
            }
            if (failure != null) {
                throw failure;
            }
        }

        /**
         * Sends the batch's entries and acknowledges its messages in the session's transaction,
         * then commits, which returns once the journal is synced. On a failure nothing of the
         * batch happened: the rollback takes it all, and its messages stay in the queue, delivered
         * again after a restart or on a new consumer.
         */
        private ActiveMQException write(List<Completion> batch) {
            synchronized (session) {
                try {
                    for (Completion each : batch) {
                        if (each.next != null) {
                            producer.send(each.next.toMessage(session));
                        }
                        for (Forward forward : each.forwards) {
                            anyAddress.send(forward.to.address(), forward.entry.toMessage(session));
                        }
                        each.message.individualAcknowledge();
                    }
                    // A node frozen past its lease (queues in the database) must not commit into a
                    // store a peer has taken over: its rows would come back at the fail-back as
                    // copies of mail the peer delivered. Rolled back, the batch stays with the peer.
                    broker.confirmOwnership();
                    session.commit();
                    commitCount.incrementAndGet();
                    return null;
                } catch (ActiveMQException | RuntimeException e) {
                    rollbackQuietly();
                    return asActiveMQ(e);
                }
            }
        }

        void rollbackQuietly() {
            try {
                session.rollback(false);
            } catch (ActiveMQException e) {
                LOGGER.debug("Mail queue {}: rolling back", queue.name().asString(), e);
            }
        }

        void closeQuietly() {
            try {
                synchronized (session) {
                    session.close();
                }
            } catch (ActiveMQException e) {
                LOGGER.debug("Mail queue {}: closing a consumer", queue.name().asString(), e);
            }
        }
    }

    private static ActiveMQException asActiveMQ(Exception e) {
        if (e instanceof ActiveMQException) {
            return (ActiveMQException) e;
        }
        ActiveMQException wrapped = new ActiveMQException(e.toString());
        wrapped.initCause(e);
        return wrapped;
    }

    /** An entry for another queue of the broker, sent with a mail's acknowledgement. */
    static final class Forward {
        private final BrokerQueue to;
        private final QueueEntry entry;

        Forward(BrokerQueue to, QueueEntry entry) {
            this.to = to;
            this.entry = entry;
        }
    }

    private enum MailItemStatus { DONE, AGAIN }

    static final class Item implements MailQueueItem {
        private final Receiver receiver;
        private final Link link;
        private final ClientMessage message;
        private final Mail mail;
        private final MailBodies.Body body;
        /** Set once done is called; from then on a new entry for the mail is queued on its own. */
        private boolean completed;
        private QueueEntry replacement;
        private final List<Forward> forwards = new ArrayList<>();

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

        /** The body the mail was read from. */
        MailBodies.Body body() {
            return body;
        }

        /** The queue that handed the mail out. */
        BrokerQueue queue() {
            return receiver.queue();
        }

        /** Keeps an entry for another queue to send with this mail's acknowledgement; false once it is done. */
        synchronized boolean forwardOnDone(BrokerQueue to, QueueEntry entry) {
            if (completed) {
                return false;
            }
            forwards.add(new Forward(to, entry));
            return true;
        }

        /** Keeps the entry to send with this mail's acknowledgement; false once it is done. */
        synchronized boolean replaceOnDone(QueueEntry entry) {
            if (completed) {
                return false;
            }
            if (replacement != null && !replacement.body().isSameAs(body)) {
                // Queued twice before done: the later state of the mail wins (the body it was read from stays).
                receiver.discard(replacement);
            }
            replacement = entry;
            return true;
        }

        @Override
        public void done(CompletionStatus status) throws MailQueueException {
            QueueEntry entry;
            List<Forward> sends;
            synchronized (this) {
                if (completed) {
                    return;
                }
                completed = true;
                entry = replacement;
                sends = List.copyOf(forwards);
            }
            receiver.done(this, status == CompletionStatus.SUCCESS ? MailItemStatus.DONE : MailItemStatus.AGAIN, entry, sends);
        }
    }
}
