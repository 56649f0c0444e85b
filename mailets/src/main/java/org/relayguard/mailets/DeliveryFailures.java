package org.relayguard.mailets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attempts that failed in {@link PooledDelivery} (not a refusal by the next hop: the queue or the
 * disk failed, such as a retry that could not be queued on a full disk). Says how long to wait
 * before the mail goes back to the queue, and keeps the log to a bounded number of lines: a
 * client decides how many mails there are, so a line per failure would let it flood the log.
 */
final class DeliveryFailures {
    static final Logger LOGGER = LoggerFactory.getLogger(PooledDelivery.class);
    static final Duration FIRST_PAUSE = Duration.ofMillis(500);
    static final Duration MAX_PAUSE = Duration.ofSeconds(5);
    /** At most one failure line in this period; the others are counted into the next line. */
    static final Duration LOG_PERIOD = Duration.ofMinutes(1);

    private final Clock clock;
    private int inARow;
    private long unlogged;
    private Instant lastLine;
    /** A failure line was written and no line since says deliveries work again. */
    private boolean failing;

    DeliveryFailures(Clock clock) {
        this.clock = clock;
    }

    /**
     * Counts a failed attempt and says how long to keep the mail before it goes back to the queue:
     * half a second, doubling with each failure in a row, up to {@link #MAX_PAUSE} (short, so
     * delivery resumes within seconds once the disk has room again).
     */
    synchronized Duration failed(String mailName, Exception cause) {
        inARow++;
        if (mayLog()) {
            LOGGER.error("{}: mail {}: left in the queue for another attempt{}", PooledDelivery.NAME, mailName, unloggedSuffix(), cause);
            logged();
            failing = true;
        } else {
            unlogged++;
        }
        long pause = FIRST_PAUSE.toMillis() << Math.min(inARow - 1, 20);
        return Duration.ofMillis(Math.min(pause, MAX_PAUSE.toMillis()));
    }

    /** A failed mail could not even be given back: it comes out again when the queue's consumer reconnects. */
    synchronized void notGivenBack(String mailName, Exception cause) {
        if (mayLog()) {
            LOGGER.error("{}: mail {}: cannot give it back to the queue{}", PooledDelivery.NAME, mailName, unloggedSuffix(), cause);
            logged();
            failing = true;
        } else {
            unlogged++;
        }
    }

    synchronized void succeeded() {
        inARow = 0;
        if (failing) {
            // One such line per failure line at most.
            LOGGER.warn("{}: delivering again{}", PooledDelivery.NAME, unloggedSuffix());
            logged();
            failing = false;
        }
    }

    private boolean mayLog() {
        return lastLine == null || !clock.instant().isBefore(lastLine.plus(LOG_PERIOD));
    }

    private String unloggedSuffix() {
        return unlogged == 0 ? "" : " (" + unlogged + " more failed attempts since the last such line)";
    }

    private void logged() {
        lastLine = clock.instant();
        unlogged = 0;
    }
}
