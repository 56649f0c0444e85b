package org.relayguard.server.oldqueue;

import java.time.Clock;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.MetricFactory;
import org.relayguard.server.queue.QueueStartTask;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * With the Artemis queues: the mail a previous release left in its ActiveMQ Classic store moves
 * into them at their start ({@link OldQueueMigration}), before anything dequeues.
 */
public final class OldQueueMigrationModule extends AbstractModule {
    @ProvidesIntoSet
    QueueStartTask migrateOldStore(FileSystem fileSystem, MetricFactory metrics) {
        return new OldQueueMigration(fileSystem, metrics, Clock.systemUTC());
    }
}
