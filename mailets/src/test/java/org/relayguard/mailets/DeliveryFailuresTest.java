package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * On a full disk every attempt failed and the mail came back at once: about 200 attempts and log
 * lines a second (DiskFullTest's log). A failed mail now waits before it goes back, and the log
 * gets a bounded number of lines however many mails fail.
 */
class DeliveryFailuresTest {
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) DeliveryFailures.LOGGER;
    private Instant now = Instant.parse("2026-12-07T10:00:00Z");
    private final DeliveryFailures failures = new DeliveryFailures(new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    });

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

    @Test
    void aFailedMailWaitsLongerAfterEachFailureInARowUpToFiveSecondsAndNotAfterASuccess() {
        List<Duration> pauses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            pauses.add(failures.failed("mail" + i, new IOException("No space left on device")));
        }
        failures.succeeded();
        pauses.add(failures.failed("after", new IOException("No space left on device")));

        assertThat(pauses).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(500));
    }

    @Test
    void thousandsOfFailuresInAMinuteWriteOneLineThenOneWithTheirCountAndOneWhenDeliveriesWorkAgain() {
        for (int i = 0; i < 10_000; i++) {
            failures.failed("mail" + i, new IOException("No space left on device"));
            if (i % 100 == 0) {
                // A mail that goes through now and then does not start a new line each time.
                failures.succeeded();
            }
            now = now.plusMillis(5);
        }
        failures.succeeded();

        List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        assertThat(lines).as("10,000 failures over 50 s, a success every 100").hasSizeLessThanOrEqualTo(2);
        now = now.plus(Duration.ofMinutes(1));
        failures.failed("later", new IOException("No space left on device"));
        lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
        assertThat(lines.get(0)).isEqualTo("PooledDelivery: mail mail0: left in the queue for another attempt");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("PooledDelivery: mail later: left in the queue for another attempt"
            + " (9999 more failed attempts since the last such line)");
        assertThat(lines).hasSizeLessThanOrEqualTo(3);
    }
}
