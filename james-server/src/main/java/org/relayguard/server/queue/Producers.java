package org.relayguard.server.queue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;

/**
 * Sessions that send to the queues, one per concurrent sender at most (an Artemis session is
 * used by one thread at a time). A durable send returns when the broker has synced its journal.
 * While the broker is not running (restarting after an I/O error) a send fails at once; the
 * sessions of a broker that was restarted are dropped.
 */
final class Producers implements AutoCloseable {
    /** Builds the message to send on the session that sends it. */
    interface MessageBuilder {
        ClientMessage build(ClientSession session) throws Exception;
    }

    private final ArtemisBroker broker;
    private final BlockingQueue<Sender> idle = new LinkedBlockingQueue<>();

    Producers(ArtemisBroker broker) {
        this.broker = broker;
    }

    void send(SimpleString address, MessageBuilder builder) throws Exception {
        if (!broker.isActive()) {
            throw new IllegalStateException("The mail queue broker is not running");
        }
        long generation = broker.generation();
        Sender sender = idle.poll();
        while (sender != null && sender.generation != generation) {
            sender.close();
            sender = idle.poll();
        }
        if (sender == null) {
            sender = new Sender(generation, broker.sessions().createSession(null, null, false, true, true, false, 0));
        }
        try {
            sender.producer.send(address, builder.build(sender.session));
            idle.offer(sender);
            broker.confirmOwnership();
        } catch (Exception e) {
            sender.close();
            throw e;
        }
    }

    @Override
    public void close() {
        Sender sender;
        while ((sender = idle.poll()) != null) {
            sender.close();
        }
    }

    private static final class Sender {
        private final long generation;
        private final ClientSession session;
        private final ClientProducer producer;

        Sender(long generation, ClientSession session) throws ActiveMQException {
            this.generation = generation;
            this.session = session;
            this.producer = session.createProducer();
        }

        void close() {
            try {
                session.close();
            } catch (ActiveMQException e) {
                // The broker is going away.
            }
        }
    }
}
