package org.relayguard.server.queue;

import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.ActiveMQServer;

/**
 * Where the broker keeps its queues: {@link #LOCAL}, the journal under the server root and large
 * bodies as files beside it (a single server, and a cluster node without
 * {@code relayguard.queue.store=database}); or {@link SharedQueueStore}, every queue entry with its
 * body in the database the cluster shares, where another node can take it over.
 */
abstract class QueueStore {
    /** The journal, bindings and message bodies under {@code var/store/artemis/}, as the broker configures them. */
    static final QueueStore LOCAL = new QueueStore() {
        @Override
        void configure(ConfigurationImpl configuration) {
        }

        @Override
        boolean bodiesInFiles() {
            return true;
        }

        @Override
        void confirmOwnership(ActiveMQServer server) {
        }
    };

    /** Changes the broker's configuration: its journal elsewhere, its high availability. */
    abstract void configure(ConfigurationImpl configuration);

    /**
     * True when a message over {@link MailBodies#INLINE_LIMIT} is a file beside the journal; false
     * when every message travels in its queue entry (one journal record, whatever its size).
     */
    abstract boolean bodiesInFiles();

    /**
     * After a send returned, before the mail is acknowledged: throws when this broker may have
     * written it where it no longer owns the store (another node took the store over meanwhile).
     */
    abstract void confirmOwnership(ActiveMQServer server);

    /** The brokers this node runs for the stores of other nodes; none for a local store. */
    PeerStores peerStores(ArtemisMailQueueFactory own) {
        return PeerStores.NONE;
    }
}
