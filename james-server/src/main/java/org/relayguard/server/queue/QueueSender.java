package org.relayguard.server.queue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.mailet.Mail;

/**
 * The enqueue of one mail queue: the mail's body goes to {@link MailBodies}, its entry to the
 * broker. A mail a queue of the broker handed out and that is not done yet is not sent here: its
 * new entry waits for that mail's {@code done}, which writes it with the old entry's
 * acknowledgement in one transaction ({@link QueueConsumer}). That is a delivery mailet queuing the
 * mail again for a retry, and the spooler's pipeline queuing the mail it took from the spool to a
 * route: the spooler calls {@code done} right after its pipeline.
 */
final class QueueSender {
    private static final AtomicLong LAST_SEQUENCE = new AtomicLong();

    private final BrokerQueue queue;
    private final Producers producers;
    private final MailBodies bodies;
    private final QueueConsumer consumer;
    private final MetricFactory metrics;
    private final Metric enqueued;

    QueueSender(BrokerQueue queue, Producers producers, MailBodies bodies, QueueConsumer consumer, MetricFactory metrics) {
        this.queue = queue;
        this.producers = producers;
        this.bodies = bodies;
        this.consumer = consumer;
        this.metrics = metrics;
        this.enqueued = metrics.generate(MailQueue.ENQUEUED_METRIC_NAME_PREFIX + queue.name().asString());
    }

    /**
     * Queues the mail, or, when it is a mail a queue of the broker handed out and that is not done
     * yet (a delivery mailet queuing it again for a retry; the spooler's pipeline queuing it to a
     * route), keeps the new entry for that mail's {@code done}: the new entry and the
     * acknowledgement of the old one are then written in one transaction, so a stop or a crash in
     * between can neither lose the mail nor deliver it twice. The entry is written as the mail is
     * now, whatever its deliverer does to it after.
     */
    void enQueue(Mail mail, Duration delay) {
        metrics.runPublishingTimerMetric(MailQueue.ENQUEUED_TIMER_METRIC_NAME_PREFIX + queue.name().asString(), () -> {
            MailBodies.Body body = null;
            try {
                long now = System.currentTimeMillis();
                long due = delay.isNegative() || delay.isZero() ? now : saturatedAdd(now, delay);
                String envelope = MailEnvelope.write(mail);
                long sequence = nextSequence();
                Optional<QueueConsumer.Item> handedOut = consumer.handedOut(mail);
                if (handedOut.isPresent() && handedOut.get().queue() != queue) {
                    body = bodies.store(mail);
                    if (handedOut.get().forwardOnDone(queue, new QueueEntry(envelope, body, sequence, due, due > now))) {
                        return;
                    }
                    send(new QueueEntry(envelope, body, sequence, due, due > now));
                    return;
                }
                if (handedOut.isPresent()) {
                    // A retry of an unchanged mail names the body it was read from: nothing to write.
                    // Only as the replacement its done sends: once done, that body may be gone.
                    Optional<MailBodies.Body> same = bodies.unchanged(mail, handedOut.get().body());
                    if (same.isPresent() && handedOut.get().replaceOnDone(new QueueEntry(envelope, same.get(), sequence, due, due > now))) {
                        return;
                    }
                }
                body = bodies.store(mail);
                QueueEntry entry = new QueueEntry(envelope, body, sequence, due, due > now);
                if (handedOut.isEmpty() || !handedOut.get().replaceOnDone(entry)) {
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

    /** Sends the entry on its own, and returns once the queue has filed it. */
    void send(QueueEntry entry) throws Exception {
        BrokerQueue.Filing current = queue.filing();
        producers.send(queue.address(), entry::toMessage);
        queue.awaitFiled(current);
    }
}
