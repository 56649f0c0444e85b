package org.relayguard.server.queue;

import javax.inject.Singleton;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/**
 * The other two types James asks for its queue factory by ({@code MailQueueFactory<?>} and
 * {@code MailQueueFactory<? extends MailQueue>}), both the manageable factory a queue module binds:
 * the spooler, the deliveries and webadmin then work on the same queues. Installed by each queue
 * module.
 */
public final class QueueFactoryViews extends AbstractModule {
    @Provides
    @Singleton
    MailQueueFactory<?> queues(MailQueueFactory<? extends ManageableMailQueue> factory) {
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends MailQueue> plainQueues(MailQueueFactory<? extends ManageableMailQueue> factory) {
        return factory;
    }
}
