package org.relayguard.server.oldqueue;

import java.io.FileNotFoundException;

import javax.inject.Singleton;
import javax.jms.ConnectionFactory;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.queue.activemq.ActiveMQConfiguration;
import org.apache.james.queue.activemq.ActiveMQHealthCheck;
import org.apache.james.queue.activemq.ActiveMQMailQueueFactory;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollector;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollectorImpl;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.apache.james.utils.PropertiesProvider;
import org.relayguard.server.queue.QueueFactoryViews;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * Every mail queue of the server (the spool and each {@code RemoteDelivery}'s {@code outgoing}
 * queue) in James's ActiveMQ queue, on an {@link EmbeddedBroker} whose KahaDB journal and message
 * bodies live under {@code var/store/activemq/}, so that a mail acknowledged with {@code 250} is on
 * disk before the client hears it, and is still queued after a restart or a crash.
 *
 * <p>James 3.8.1 serves the queue ({@code james-server-queue-activemq}) but not its Guice glue;
 * this module binds it as James's ActiveMQ-based servers do. It overrides the memory server's
 * {@code MemoryMailQueueModule}.</p>
 */
public final class DurableMailQueueModule extends AbstractModule {
    /** {@code conf/activemq.properties}: optional, James's queue metrics settings. */
    private static final String CONFIGURATION_FILE = "activemq";

    @Override
    protected void configure() {
        bind(EmbeddedBroker.class).in(Scopes.SINGLETON);
        bind(ActiveMQMetricCollectorImpl.class).in(Scopes.SINGLETON);
        bind(ActiveMQMetricCollector.class).to(ActiveMQMetricCollectorImpl.class);

        Multibinder.newSetBinder(binder(), HealthCheck.class).addBinding().to(ActiveMQHealthCheck.class);
        install(new QueueFactoryViews());
    }

    @Provides
    @Singleton
    ConnectionFactory brokerConnections(EmbeddedBroker broker) {
        return broker.connectionFactory();
    }

    @Provides
    @Singleton
    ActiveMQMailQueueFactory queueFactory(ConnectionFactory connections, MailQueueItemDecoratorFactory decorators,
                                          MetricFactory metrics, GaugeRegistry gauges, ActiveMQMetricCollector collector) {
        return new ActiveMQMailQueueFactory(connections, decorators, metrics, gauges, collector);
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends ManageableMailQueue> manageableQueues(ActiveMQMailQueueFactory factory) {
        // Webadmin's /mailQueues works on the same queues; no JMX connector is opened (jmx.properties).
        factory.setUseJMX(false);
        factory.init();
        return factory;
    }

    @Provides
    @Singleton
    ActiveMQConfiguration queueConfiguration(PropertiesProvider propertiesProvider) throws ConfigurationException {
        try {
            return ActiveMQConfiguration.from(propertiesProvider.getConfigurations(CONFIGURATION_FILE));
        } catch (FileNotFoundException e) {
            return ActiveMQConfiguration.getDefault();
        }
    }

    @ProvidesIntoSet
    InitializationOperation startQueueMetrics(ActiveMQMetricCollector collector) {
        return InitilizationOperationBuilder
            .forClass(ActiveMQMetricCollector.class)
            .init(collector::start);
    }
}
