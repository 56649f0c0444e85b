package org.relayguard.server.queue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import javax.annotation.PreDestroy;
import javax.inject.Inject;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.utils.PropertiesProvider;

/**
 * The broker and its queues, started with the server and stopped after the spooler and the
 * deliveries; in a cluster node whose queues are in the shared database, also the backups of the
 * other nodes' stores ({@link PeerStores}). At its start, before anything dequeues, the {@link QueueStartTask}s run (the upgrade
 * from the previous release's queue moves its mail in).
 */
public final class MailQueues {
    /** Under the server root: the broker's journal, bindings, paging, and the message bodies ({@code mails/}). */
    static final String STORE = "file://var/store/artemis";
    private static final String DATABASE_PROPERTIES = "james-database";

    private final Path store;
    private final ArtemisBroker broker;
    private final ArtemisMailQueueFactory factory;
    private final PeerStores peers;

    @Inject
    MailQueues(FileSystem fileSystem, PropertiesProvider properties, MailQueueItemDecoratorFactory decorators, MetricFactory metrics,
               GaugeRegistry gauges, Set<QueueStartTask> startTasks) throws Exception {
        store = fileSystem.getFile(STORE).toPath();
        QueueStore queueStore = queueStore(properties, store);
        broker = new ArtemisBroker(store, queueStore);
        factory = new ArtemisMailQueueFactory(broker, decorators, metrics, gauges);
        peers = queueStore.peerStores(factory);
        try {
            // Before the spooler and the deliveries can dequeue: they need this object first.
            startTasks.forEach(task -> task.run(factory));
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        peers.start();
    }

    /** {@code conf/james-database.properties} says where the queues are; without the file, here. */
    private static QueueStore queueStore(PropertiesProvider properties, Path directory) throws ConfigurationException {
        try {
            return SharedQueueStore.from(properties.getConfiguration(DATABASE_PROPERTIES), directory);
        } catch (FileNotFoundException e) {
            return QueueStore.LOCAL;
        }
    }

    ArtemisMailQueueFactory factory() {
        return factory;
    }

    boolean isRunning() {
        return broker.isActive();
    }

    /** The usable bytes on the volume of the broker's store; -1 when it cannot be read. */
    long freeSpace() {
        try {
            return Files.getFileStore(store).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    @PreDestroy
    public void stop() throws Exception {
        peers.close();
        factory.close();
        broker.close();
    }
}
