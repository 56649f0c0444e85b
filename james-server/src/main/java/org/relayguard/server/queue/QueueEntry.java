package org.relayguard.server.queue;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;

/**
 * A queue entry: the mail's envelope ({@link MailEnvelope}), its body ({@link MailBodies}), its
 * place in the queue and when it is due. Written by the enqueue, the consumer's retries and the
 * flush; its properties read back by the consumer and the management.
 */
final class QueueEntry {
    private static final String ENVELOPE = "envelope";
    /** Enqueue order, kept by retries and flushes: browse lists in this order. */
    private static final String SEQUENCE = "sequence";
    /** When the mail is (or was) due: what webadmin shows as {@code nextDelivery}. */
    private static final String DUE = "due";

    private final String envelope;
    private final MailBodies.Body body;
    private final long sequence;
    private final long due;
    private final boolean scheduled;

    QueueEntry(String envelope, MailBodies.Body body, long sequence, long due, boolean scheduled) {
        this.envelope = envelope;
        this.body = body;
        this.sequence = sequence;
        this.due = due;
        this.scheduled = scheduled;
    }

    /** The same mail and body, due now, in its old place. */
    static QueueEntry dueNow(Message message, MailBodies.Body body) {
        return new QueueEntry(envelope(message), body, sequence(message), System.currentTimeMillis(), false);
    }

    /** A mail of another node's store that this node took over: the same entry, due when it was due there. */
    static QueueEntry taken(Message message, MailBodies.Body body) {
        long due = due(message);
        return new QueueEntry(envelope(message), body, sequence(message), due, due > System.currentTimeMillis());
    }

    /** The envelope's JSON text, or null for a message that is no queue entry. */
    static String envelope(Message message) {
        return message.getStringProperty(ENVELOPE);
    }

    static long sequence(Message message) {
        return message.getLongProperty(SEQUENCE);
    }

    /** When the entry is (or was) due, in milliseconds since the epoch. */
    static long due(Message message) {
        return message.getLongProperty(DUE);
    }

    MailBodies.Body body() {
        return body;
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
