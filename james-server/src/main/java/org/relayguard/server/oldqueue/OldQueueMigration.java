package org.relayguard.server.oldqueue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

import javax.jms.ConnectionFactory;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.RedeliveryPolicy;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueName;
import org.relayguard.server.queue.ArtemisMailQueueFactory;
import org.relayguard.server.queue.QueueStartTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upgrade without loss: the mail that the previous releases left in their ActiveMQ Classic store
 * ({@code var/store/activemq/}, KahaDB and body files) moves into the Artemis queue of the same
 * name on the first start of this release, before anything dequeues. A mail waiting for a retry
 * keeps its next-delivery time. Each queue's count is logged; the old store is then renamed
 * {@code var/store/activemq.migrated-<UTC time>} so that it is never read twice, and kept as a
 * backup for the operator to delete.
 *
 * <p>Fails closed: whatever goes wrong, the server does not start ({@link MigrationFailed}), and
 * the old store keeps what was not moved yet.</p>
 */
final class OldQueueMigration implements QueueStartTask {
    private static final Logger LOGGER = LoggerFactory.getLogger(OldQueueMigration.class);
    static final String OLD_STORE = "file://var/store/activemq";
    static final String MIGRATED_SUFFIX = ".migrated-";
    private static final DateTimeFormatter RENAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** Why the server does not start: the message names the component and the old store. */
    static final class MigrationFailed extends RuntimeException {
        MigrationFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final FileSystem fileSystem;
    private final MetricFactory metrics;
    private final Clock clock;

    OldQueueMigration(FileSystem fileSystem, MetricFactory metrics, Clock clock) {
        this.fileSystem = fileSystem;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void run(ArtemisMailQueueFactory target) {
        moveInto(target);
    }

    /** Moves the old store's mail, if there is an old store; returns how many mails each queue gave. */
    Map<String, Integer> moveInto(ArtemisMailQueueFactory target) {
        File store;
        try {
            store = fileSystem.getFile(OLD_STORE);
        } catch (Exception e) {
            throw failed(e);
        }
        if (!store.isDirectory()) {
            return Map.of();
        }
        LOGGER.info("Mail queue migration: moving the mail of the previous release's ActiveMQ store {} into the Artemis queues", store);
        try {
            Map<String, Integer> moved = moveAll(target);
            Path renamed = store.toPath().resolveSibling(store.getName() + MIGRATED_SUFFIX + RENAME_TIME.format(clock.instant()));
            Files.move(store.toPath(), renamed);
            LOGGER.info("Mail queue migration: done, {} mails moved; the old store is now {} (a backup: delete it once the mail is delivered)",
                moved.values().stream().mapToInt(Integer::intValue).sum(), renamed);
            return moved;
        } catch (Exception e) {
            throw failed(e);
        }
    }

    private Map<String, Integer> moveAll(ArtemisMailQueueFactory target) throws Exception {
        Map<String, Integer> moved = new TreeMap<>();
        EmbeddedBroker old = new EmbeddedBroker(fileSystem);
        try {
            ConnectionFactory connections = old.connectionFactory();
            // A failed attempt rolls its mail back: it must stay in its queue, not go to ActiveMQ's dead letters.
            ((ActiveMQConnectionFactory) connections).getRedeliveryPolicy().setMaximumRedeliveries(RedeliveryPolicy.NO_MAXIMUM_REDELIVERIES);
            for (String name : old.queueNames()) {
                OldMailQueue queue = new OldMailQueue(connections, name, metrics);
                try {
                    OldMailQueue.Moved result = queue.moveTo(queueName -> target.createQueue(MailQueueName.of(queueName)), clock);
                    LOGGER.info("Mail queue migration: queue {}: {} mails moved ({} waiting for a retry keep their next delivery)",
                        name, result.mails, result.waiting);
                    moved.put(name, result.mails);
                } finally {
                    queue.dispose();
                }
                long left = old.queueSize(name);
                if (left != 0) {
                    throw new IllegalStateException("queue " + name + " still holds " + left + " messages after the move");
                }
            }
        } finally {
            old.stop();
        }
        return moved;
    }

    private static MigrationFailed failed(Exception e) {
        String message = "Mail queue migration from var/store/activemq (previous release) to the Artemis queues failed: "
            + e.getMessage() + ". James does not start, so that no mail is stranded; the old store keeps the mail not moved yet";
        LOGGER.error(message, e);
        return new MigrationFailed(message, e);
    }
}
