package org.relayguard.server;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/** Webadmin {@code /healthcheck}: healthy while the broker holding the mail queues runs. */
public final class MailQueuesHealthCheck implements HealthCheck {
    private static final ComponentName COMPONENT = new ComponentName("Mail queues (Artemis)");

    private final MailQueues queues;

    @Inject
    MailQueuesHealthCheck(MailQueues queues) {
        this.queues = queues;
    }

    @Override
    public ComponentName componentName() {
        return COMPONENT;
    }

    @Override
    public Publisher<Result> check() {
        return Mono.fromCallable(() -> queues.isRunning()
            ? Result.healthy(COMPONENT)
            : Result.unhealthy(COMPONENT, "The mail queue broker is not running"));
    }
}
