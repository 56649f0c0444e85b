package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;

import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;

class ClientResetLogTest {
    private final LoggerContext context = new LoggerContext();
    private final Logger jamesHandler = context.getLogger(ClientResetLog.JAMES_HANDLER);
    private final RecordingMetricFactory metrics = new RecordingMetricFactory();
    private final ClientResetLog filter = new ClientResetLog(metrics.generate(ClientResetLog.METRIC));

    @Test
    void decideShouldTakeAConnectionResetOutOfJamesErrorsAndCountIt() {
        FilterReply reply = filter.decide(null, jamesHandler, Level.ERROR, "Unable to process request", null, new SocketException("Connection reset"));

        assertThat(reply).isEqualTo(FilterReply.DENY);
        assertThat(metrics.countFor(ClientResetLog.METRIC)).isEqualTo(1);
    }

    @Test
    void decideShouldLeaveOtherErrorsOfJamesHandlerAlone() {
        FilterReply reply = filter.decide(null, jamesHandler, Level.ERROR, "Unable to process request", null, new IllegalStateException("a bug"));

        assertThat(reply).isEqualTo(FilterReply.NEUTRAL);
        assertThat(metrics.countFor(ClientResetLog.METRIC)).isZero();
    }

    @Test
    void decideShouldLeaveIoErrorsOfOtherLoggersAlone() {
        FilterReply reply = filter.decide(null, context.getLogger("org.apache.james.queue"), Level.ERROR, "disk", null, new IOException("No space left on device"));

        assertThat(reply).isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void decideShouldLeaveLinesWithoutAnErrorAlone() {
        assertThat(filter.decide(null, jamesHandler, Level.INFO, "Connection established from {}", new Object[] {"192.0.2.7"}, null))
            .isEqualTo(FilterReply.NEUTRAL);
    }
}
