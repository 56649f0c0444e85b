package org.relayguard.smtp;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.annotations.VisibleForTesting;

/**
 * When the gateway refuses mail for want of disk space: one log line when refusing starts, one
 * when it stops. The log may sit on the full disk and lose the first; the second says how long
 * refusing lasted and how many MAIL commands were refused, so the story survives. Every refusal
 * is counted ({@value #REFUSED_METRIC}). Shared by every listener.
 */
@Singleton
public class LowSpaceEpisodes {
    public static final String REFUSED_METRIC = "relayguard_disk_space_refused";
    private static final Logger LOGGER = LoggerFactory.getLogger(LowSpaceEpisodes.class);

    private final Metric refused;
    private final Clock clock;
    private Instant since;
    private long refusals;

    @Inject
    public LowSpaceEpisodes(MetricFactory metrics) {
        this(metrics, Clock.systemUTC());
    }

    @VisibleForTesting
    LowSpaceEpisodes(MetricFactory metrics, Clock clock) {
        this.refused = metrics.generate(REFUSED_METRIC);
        this.clock = clock;
    }

    /** A MAIL refused while the free space is below the threshold. */
    public synchronized void refusedForLowSpace(long free, long threshold) {
        if (since == null) {
            since = clock.instant();
            refusals = 0;
            LOGGER.warn("{}: refusing mail, {} bytes free on the volume of var/, below minFreeSpace {}",
                DiskSpaceGuard.NAME, free, threshold);
        }
        refusals++;
        refused.increment();
    }

    /** A MAIL refused for its declared size alone: counted, no episode. */
    public void refusedForSize() {
        refused.increment();
    }

    /** A MAIL let through: ends a low-space episode, if one is on. */
    public synchronized void enoughSpace(long free) {
        if (since != null) {
            LOGGER.warn("{}: accepting mail again, {} bytes free; refused {} MAIL commands over {} s since {}",
                DiskSpaceGuard.NAME, free, refusals, Duration.between(since, clock.instant()).toSeconds(), since);
            since = null;
        }
    }

    synchronized boolean refusing() {
        return since != null;
    }
}
