package org.relayguard.server.oldqueue;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;

import javax.jms.ConnectionFactory;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.Session;

import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.queue.activemq.ActiveMQCacheableMailQueue;
import org.apache.mailet.Mail;

/**
 * One queue of the previous releases' store, read with James's own ActiveMQ queue (which turns a
 * JMS message and its body file back into the {@link Mail} it wrote). James's dequeue only hands
 * out mail that is due (a selector on the next-delivery time); moving the store needs every mail,
 * so this reads the queue with a plain consumer, in a transaction of one mail each.
 */
final class OldMailQueue extends ActiveMQCacheableMailQueue {
    /** ActiveMQ's dead-letter queue: a mail there goes back to the queue it came from. */
    static final String DEAD_LETTER_QUEUE = "ActiveMQ.DLQ";
    /** The broker has loaded its store when it starts: a queue silent this long is empty. */
    private static final long RECEIVE_TIMEOUT_MILLIS = 2_000;

    OldMailQueue(ConnectionFactory connections, String name, MetricFactory metrics) {
        // No gauge: the new queue of the same name registers the size gauge.
        super(connections, new RawMailQueueItemDecoratorFactory(), MailQueueName.of(name), metrics, new NoopGaugeRegistry());
    }

    /** What {@link #moveTo} moved: all mails, and how many of them wait for a later retry. */
    static final class Moved {
        final int mails;
        final int waiting;

        Moved(int mails, int waiting) {
            this.mails = mails;
            this.waiting = waiting;
        }
    }

    /**
     * Moves every mail into the queue {@code targets} gives for its name, due when it was due
     * here. A mail is acknowledged here only once the new queue has it on disk (its enqueue
     * returns after the journal sync): a crash in between leaves it in both, never in neither.
     */
    Moved moveTo(Function<String, MailQueue> targets, Clock clock) throws Exception {
        int mails = 0;
        int waiting = 0;
        Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
        MessageConsumer consumer = null;
        try {
            consumer = session.createConsumer(session.createQueue(queueName.asString()));
            Message message;
            while ((message = consumer.receive(RECEIVE_TIMEOUT_MILLIS)) != null) {
                Duration delay = delay(message, clock);
                Mail mail = createMail(message);
                try {
                    targets.apply(targetName(message)).enQueue(mail, delay);
                } finally {
                    LifecycleUtil.dispose(mail);
                }
                session.commit();
                mails++;
                if (!delay.isZero()) {
                    waiting++;
                }
            }
        } finally {
            closeConsumer(consumer);
            closeSession(session);
        }
        return new Moved(mails, waiting);
    }

    private static Duration delay(Message message, Clock clock) throws JMSException {
        if (!message.propertyExists(JAMES_NEXT_DELIVERY)) {
            return Duration.ZERO;
        }
        return Duration.ofMillis(Math.max(0, message.getLongProperty(JAMES_NEXT_DELIVERY) - clock.millis()));
    }

    private String targetName(Message message) throws JMSException {
        if (!queueName.asString().equals(DEAD_LETTER_QUEUE)) {
            return queueName.asString();
        }
        ActiveMQDestination origin = message instanceof ActiveMQMessage ? ((ActiveMQMessage) message).getOriginalDestination() : null;
        if (origin == null || !origin.isQueue()) {
            throw new JMSException("A message of " + DEAD_LETTER_QUEUE + " names no queue it came from");
        }
        return origin.getPhysicalName();
    }
}
