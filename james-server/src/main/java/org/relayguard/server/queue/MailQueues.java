package org.relayguard.server.queue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import javax.annotation.PreDestroy;
import javax.inject.Inject;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;

/**
 * The broker and its queues, started with the server and stopped after the spooler and the
 * deliveries. At its start, before anything dequeues, the {@link QueueStartTask}s run (the upgrade
 * from the previous release's queue moves its mail in).
 */
public final class MailQueues {
    /** Under the server root: the broker's journal, bindings, paging, and the message bodies ({@code mails/}). */
    static final String STORE = "file://var/store/artemis";

    private final Path store;
    private final ArtemisBroker broker;
    private final ArtemisMailQueueFactory factory;

    @Inject
    MailQueues(FileSystem fileSystem, MailQueueItemDecoratorFactory decorators, MetricFactory metrics, GaugeRegistry gauges,
               Set<QueueStartTask> startTasks) throws Exception {
        store = fileSystem.getFile(STORE).toPath();
        broker = new ArtemisBroker(store);
        factory = new ArtemisMailQueueFactory(broker, decorators, metrics, gauges);
        try {
            // Before the spooler and the deliveries can dequeue: they need this object first.
            startTasks.forEach(task -> task.run(factory));
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
