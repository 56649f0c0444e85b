package org.relayguard.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import javax.annotation.PreDestroy;
import javax.inject.Inject;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.relayguard.server.queue.ArtemisBroker;
import org.relayguard.server.queue.ArtemisMailQueueFactory;

/**
 * The broker and its queues, started with the server and stopped after the spooler and the
 * deliveries. At its start, mail left by a previous release in the old ActiveMQ store moves in
 * ({@link OldQueueMigration}).
 */
public final class MailQueues {
    /** Under the server root: the broker's journal, bindings, paging, and the message bodies ({@code mails/}). */
    static final String STORE = "file://var/store/artemis";

    private final Path store;
    private final ArtemisBroker broker;
    private final ArtemisMailQueueFactory factory;

    @Inject
    MailQueues(FileSystem fileSystem, MailQueueItemDecoratorFactory decorators, MetricFactory metrics, GaugeRegistry gauges) throws Exception {
        store = fileSystem.getFile(STORE).toPath();
        broker = new ArtemisBroker(store);
        factory = new ArtemisMailQueueFactory(broker, decorators, metrics, gauges);
        try {
            // Before the spooler and the deliveries can dequeue: they need this object first.
            new OldQueueMigration(fileSystem, factory, metrics, Clock.systemUTC()).run();
        } catch (RuntimeException e) {
            stop();
            throw e;
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
        factory.close();
        broker.close();
    }
}
