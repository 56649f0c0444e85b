package org.relayguard.server.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.server.impl.AckReason;
import org.apache.activemq.artemis.core.server.impl.QueueImpl;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;
import org.apache.james.queue.api.MailQueueName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup brokers this node runs for its peers' stores ({@code relayguard.queue.peers}), one
 * per peer, in this JVM, each waiting for its peer's lease ({@link SharedQueueStore}). When one
 * becomes live (its peer stopped renewing), it loads the peer's store, and every
 * {@link #PERIOD_MILLIS} ms its queued mail moves into this node's queue of the same name, with its
 * envelope, sequence and due time: a mail waiting for a retry waits here until the same moment.
 * A mail is queued here before it leaves the peer's store, a batch of {@link #BATCH} at a time, so
 * a crash in the middle delivers at most that batch twice, never loses one. When the peer runs
 * again, it takes its store back (fail-back) and this node starts a new backup for it.
 */
final class PeerStores implements AutoCloseable {
    static final PeerStores NONE = new PeerStores(null, null);
    private static final Logger LOGGER = LoggerFactory.getLogger(PeerStores.class);
    static final long PERIOD_MILLIS = 500;
    static final int BATCH = 50;

    private final List<PeerStore> peers = new ArrayList<>();
    private final ScheduledExecutorService timer;

    PeerStores(SharedQueueStore store, ArtemisMailQueueFactory own) {
        if (store == null) {
            timer = null;
            return;
        }
        store.peers().forEach(peer -> peers.add(new PeerStore(store, peer, own)));
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mailqueue-peer-stores");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        if (timer != null) {
            timer.scheduleWithFixedDelay(this::tick, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void tick() {
        for (PeerStore peer : peers) {
            try {
                peer.tick();
            } catch (Exception | Error e) {
                LOGGER.error("Mail queues of node {}: backup failed; trying again", peer.name, e);
            }
        }
    }

    /** Whether this node now holds the named peer's store (its backup is live). */
    boolean holds(String peer) {
        return peers.stream().anyMatch(store -> store.name.equals(peer) && store.isLive());
    }

    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        peers.forEach(PeerStore::stop);
    }

    /** The backup of one peer's store. */
    private static final class PeerStore {
        private final SharedQueueStore store;
        private final String name;
        private final ArtemisMailQueueFactory own;
        private volatile EmbeddedActiveMQ backup;
        private Instant liveSince;

        PeerStore(SharedQueueStore store, String name, ArtemisMailQueueFactory own) {
            this.store = store;
            this.name = name;
            this.own = own;
        }

        boolean isLive() {
            EmbeddedActiveMQ current = backup;
            return current != null && current.getActiveMQServer().isActive();
        }

        void tick() throws Exception {
            EmbeddedActiveMQ current = backup;
            if (current == null || current.getActiveMQServer().getState() == ActiveMQServer.SERVER_STATE.STOPPED) {
                if (liveSince != null) {
                    LOGGER.info("Mail queues of node {}: node {} took its store back", name, name);
                    liveSince = null;
                }
                startBackup();
                return;
            }
            ActiveMQServer server = current.getActiveMQServer();
            if (!server.isActive()) {
                return;
            }
            if (liveSince == null) {
                liveSince = Instant.now();
                LOGGER.warn("Mail queues of node {}: its lease ran out; this node took its store over and delivers its mail", name);
            }
            int moved = moveAll(server);
            if (moved > 0) {
                LOGGER.warn("Mail queues of node {}: {} mails moved to this node's queues, {} s after the take-over",
                    name, moved, Duration.between(liveSince, Instant.now()).toSeconds());
            }
            // The peer runs again and waits for its store. Artemis's own fail-back needs a cluster
            // connection between the brokers, which these have not: this backup lets the store go.
            if (server.getNodeManager().isAwaitingFailback()) {
                LOGGER.info("Mail queues of node {}: node {} asks for its store back", name, name);
                server.stop();
            }
        }

        private void startBackup() throws Exception {
            EmbeddedActiveMQ embedded = new EmbeddedActiveMQ();
            embedded.setConfiguration(store.backupOf(name));
            // A shared-store backup starts at once and waits for the lease in a thread of its own.
            embedded.start();
            backup = embedded;
        }

        /** Moves every mail of the peer's mail queues here; the number moved. */
        private int moveAll(ActiveMQServer server) throws Exception {
            int moved = 0;
            for (SimpleString address : server.getPostOffice().getAddresses()) {
                String text = address.toString();
                if (!text.startsWith(ArtemisMailQueue.ADDRESS_PREFIX)) {
                    continue;
                }
                Queue queue = server.locateQueue(address);
                if (queue != null) {
                    moved += move(MailQueueName.of(text.substring(ArtemisMailQueue.ADDRESS_PREFIX.length())), queue);
                }
            }
            return moved;
        }

        private int move(MailQueueName name, Queue queue) throws Exception {
            List<Message> messages = new ArrayList<>();
            queue.getScheduledMessages().forEach(reference -> messages.add(reference.getMessage()));
            try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
                while (references.hasNext()) {
                    messages.add(references.next().getMessage());
                }
            }
            int moved = 0;
            for (int start = 0; start < messages.size(); start += BATCH) {
                Set<Long> done = new HashSet<>();
                for (Message message : messages.subList(start, Math.min(messages.size(), start + BATCH))) {
                    if (own.adopt(name, message)) {
                        done.add(message.getMessageID());
                    }
                }
                if (!done.isEmpty()) {
                    queue.deleteMatchingReferences(QueueImpl.DEFAULT_FLUSH_LIMIT,
                        new QueueManagement.EnvelopeFilter(message -> done.contains(message.getMessageID())), AckReason.KILLED);
                    moved += done.size();
                }
            }
            return moved;
        }

        void stop() {
            EmbeddedActiveMQ current = backup;
            if (current == null) {
                return;
            }
            try {
                current.stop();
            } catch (Exception e) {
                LOGGER.debug("Stopping the backup of node {}", name, e);
            }
        }
    }
}
