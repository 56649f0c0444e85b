package org.relayguard.server.queue;

import javax.inject.Singleton;

import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;

/**
 * Every mail queue of the server (the spool and each {@code RemoteDelivery}'s {@code outgoing}
 * queue) on an embedded Apache ActiveMQ Artemis broker whose journal and message bodies live under
 * {@code var/store/artemis/} ({@link MailQueues}). A mail acknowledged with {@code 250} is on disk
 * before the client hears it; a retry waits as an Artemis scheduled message, out of the way of the
 * mail that is due. It overrides the memory server's {@code MemoryMailQueueModule}; webadmin's
 * {@code /mailQueues} works on the same queues. Other modules may add {@link QueueStartTask}s.
 */
public final class ArtemisMailQueueModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(MailQueues.class).in(Scopes.SINGLETON);
        Multibinder.newSetBinder(binder(), HealthCheck.class).addBinding().to(MailQueuesHealthCheck.class);
        Multibinder.newSetBinder(binder(), QueueStartTask.class);
        install(new QueueFactoryViews());
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends ManageableMailQueue> manageableQueues(MailQueues queues) {
        return queues.factory();
    }

    @Provides
    @Singleton
    ArtemisMailQueueFactory artemisQueues(MailQueues queues) {
        return queues.factory();
    }
}
