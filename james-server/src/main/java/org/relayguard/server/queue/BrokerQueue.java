package org.relayguard.server.queue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.james.queue.api.MailQueue.MailQueueException;
import org.apache.james.queue.api.MailQueueName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mail queue's Artemis queue on the broker: its name and address, the queue itself, and how
 * many of the entries sent to it the queue has filed, which the enqueue, the consumer's retries and
 * the flush wait for.
 */
final class BrokerQueue {
    /** The mail queue's log lines, whichever part of it writes them, keep the one logger name. */
    private static final Logger LOGGER = LoggerFactory.getLogger(ArtemisMailQueue.class);
    private static final long JOURNAL_WAIT_MILLIS = 30_000;

    private final MailQueueName name;
    private final SimpleString address;
    private final ArtemisBroker broker;
    /** The queue's count of filed mails and how many we have sent it since, for the broker's current run. */
    private volatile Filing filing;

    BrokerQueue(MailQueueName name, ArtemisBroker broker) {
        this.name = name;
        this.address = SimpleString.toSimpleString(ArtemisMailQueue.addressOf(name));
        this.broker = broker;
        this.filing = newFiling();
    }

    /** The queue's filed count at a moment of one run of the broker, and the mails sent to it since. */
    static final class Filing {
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
    Filing filing() {
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

    MailQueueName name() {
        return name;
    }

    SimpleString address() {
        return address;
    }

    /**
     * Counts one more entry sent under {@code counts} and waits until the queue has filed as many
     * mails as were sent to it. The broker answers a send once the journal holds the message (so it
     * is safe) but files it in the queue a moment later, on another thread: without this wait a
     * listing, a count or a removal right after the enqueue (webadmin's, or James's contract tests')
     * would not see it. With several senders at once a sender may be let go by another's mail: then
     * only the listing lags, never the mail.
     */
    void awaitFiled(Filing counts) throws MailQueueException {
        long sentCount = counts.sent.incrementAndGet();
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

    /** The mails in the queue, waiting and due; 0 while the broker does not know the queue. */
    long size() {
        Queue queue = broker.queue(address.toString());
        return queue == null ? 0 : queue.getMessageCount();
    }

    Queue queue() throws MailQueueException {
        Queue queue = broker.queue(address.toString());
        if (queue == null) {
            throw new MailQueueException("Mail queue " + name.asString() + " does not exist in the broker");
        }
        return queue;
    }

    /** The queue's counts change once the removals are in the journal: the operator sees the new size at once. */
    void awaitJournal() throws MailQueueException {
        try {
            broker.server().getStorageManager().waitOnOperations(JOURNAL_WAIT_MILLIS);
        } catch (Exception e) {
            throw new MailQueueException("Mail queue " + name.asString() + ": journal did not complete", e);
        }
    }
}
