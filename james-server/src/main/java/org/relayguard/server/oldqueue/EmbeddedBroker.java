package org.relayguard.server.oldqueue;

import java.io.IOException;
import java.util.Set;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.jms.ConnectionFactory;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.broker.BrokerPlugin;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.broker.region.Destination;
import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQQueue;
import org.apache.activemq.plugin.StatisticsBrokerPlugin;
import org.apache.activemq.store.kahadb.KahaDBPersistenceAdapter;
import org.apache.james.filesystem.api.FileSystem;

import com.google.common.collect.ImmutableSortedSet;

/**
 * The ActiveMQ broker that holds the server's mail queues, inside James's JVM, as James's own
 * {@code EmbeddedActiveMQ} sets it up (same store locations, so a queue written by either is read
 * by the other), with two differences: the message bodies are synced to disk
 * ({@link SyncedBlobTransferPolicy}), and no TCP port is opened (the queues are reached in the JVM
 * only).
 *
 * <p>KahaDB syncs its journal on every write (ActiveMQ's default {@code journalDiskSyncStrategy}
 * {@code always}); a persistent message is therefore on disk when the send returns, before James
 * answers {@code 250}.</p>
 */
public final class EmbeddedBroker {
    static final String BROKER_NAME = "james";
    private static final String BROKER_DIRECTORY = "file://var/store/activemq/brokers";
    private static final String KAHADB_DIRECTORY = "file://var/store/activemq/brokers/KahaDB";

    private final BrokerService broker;
    private final ActiveMQConnectionFactory connections;

    @Inject
    EmbeddedBroker(FileSystem fileSystem) throws Exception {
        KahaDBPersistenceAdapter store = new KahaDBPersistenceAdapter();
        store.setDirectory(fileSystem.getFile(KAHADB_DIRECTORY));

        broker = new BrokerService();
        broker.setBrokerName(BROKER_NAME);
        broker.setPersistent(true);
        broker.setPersistenceAdapter(store);
        broker.setDataDirectoryFile(fileSystem.getFile(BROKER_DIRECTORY));
        broker.setUseJmx(false);
        broker.setUseShutdownHook(false);
        broker.setSchedulerSupport(false);
        broker.setEnableStatistics(true);
        // The queue metrics of James (ActiveMQMetricCollector) ask the statistics plugin.
        broker.setPlugins(new BrokerPlugin[] {new StatisticsBrokerPlugin()});
        broker.start();
        broker.waitUntilStarted();

        connections = new ActiveMQConnectionFactory("vm://" + BROKER_NAME + "?create=false");
        connections.setTrustAllPackages(false);
        connections.setBlobTransferPolicy(new SyncedBlobTransferPolicy(fileSystem));
        // No message is handed to a consumer before it asks: delayed retries are selected by time.
        ActiveMQPrefetchPolicy prefetch = new ActiveMQPrefetchPolicy();
        prefetch.setQueuePrefetch(0);
        prefetch.setTopicPrefetch(0);
        connections.setPrefetchPolicy(prefetch);
    }

    public ConnectionFactory connectionFactory() {
        return connections;
    }

    /** The queues the store holds (James's mail queues, and {@code ActiveMQ.DLQ} if a mail ever went there). */
    Set<String> queueNames() throws IOException {
        return broker.getPersistenceAdapter().getDestinations().stream()
            .filter(ActiveMQDestination::isQueue)
            .filter(destination -> !destination.isTemporary())
            .map(ActiveMQDestination::getPhysicalName)
            .collect(ImmutableSortedSet.toImmutableSortedSet(String::compareTo));
    }

    /** How many messages the store still holds in this queue. */
    long queueSize(String queue) throws Exception {
        Destination destination = broker.getDestination(new ActiveMQQueue(queue));
        return destination == null ? 0 : destination.getMessageStore().getMessageCount();
    }

    @PreDestroy
    public void stop() throws Exception {
        broker.stop();
        broker.waitUntilStopped();
    }
}
