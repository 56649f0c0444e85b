package org.relayguard.server.queue;

import java.nio.file.Path;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueFactoryContract;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.ManageableMailQueueFactoryContract;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** James's mail queue factory contracts against the Artemis queues. */
class ArtemisMailQueueFactoryTest implements MailQueueFactoryContract<ManageableMailQueue>,
    ManageableMailQueueFactoryContract<ManageableMailQueue> {
    @TempDir
    Path store;

    private ArtemisBroker broker;
    private ArtemisMailQueueFactory factory;

    @BeforeEach
    void setUp() throws Exception {
        broker = new ArtemisBroker(store);
        factory = new ArtemisMailQueueFactory(broker, new RawMailQueueItemDecoratorFactory(),
            new RecordingMetricFactory(), new NoopGaugeRegistry());
    }

    @AfterEach
    void tearDown() throws Exception {
        factory.close();
        broker.close();
    }

    @Override
    public MailQueueFactory<ManageableMailQueue> getMailQueueFactory() {
        return factory;
    }
}
