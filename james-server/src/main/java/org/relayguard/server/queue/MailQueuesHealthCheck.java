package org.relayguard.server.queue;

import javax.inject.Inject;

import org.apache.james.core.healthcheck.ComponentName;
import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.core.healthcheck.Result;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Mono;

/**
 * Webadmin {@code /healthcheck}: healthy while the broker holding the mail queues runs with room on
 * its volume; degraded below {@value #LOW_SPACE} free bytes (the broker needs that much to start
 * new journal files: writes may fail soon); unhealthy while the broker is stopped (it restarts by
 * itself after an I/O error). The cause names the free space.
 */
public final class MailQueuesHealthCheck implements HealthCheck {
    /** Three of Artemis's 10 MiB journal files. */
    static final long LOW_SPACE = 30L * 1024 * 1024;
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
        return Mono.fromCallable(this::result);
    }

    private Result result() {
        long free = queues.freeSpace();
        if (!queues.isRunning()) {
            return Result.unhealthy(COMPONENT, "The mail queue broker is not running (it restarts by itself after an I/O error); "
                + free + " bytes free on var/store/artemis");
        }
        if (free < LOW_SPACE) {
            return Result.degraded(COMPONENT, "Only " + free + " bytes free on var/store/artemis: queue writes may soon fail");
        }
        return Result.healthy(COMPONENT);
    }
}
