package org.relayguard.smtp;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

import org.apache.james.metrics.api.Metric;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.Marker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * A connection that the client resets (or breaks off) is its own doing, not the gateway's error:
 * James 3.8.1 logs each one as an ERROR with a stack trace of 15 lines ("Unable to process
 * request", {@code BasicChannelInboundHandler.exceptionCaught}), so a client that resets its
 * connections in a loop chooses how much the gateway logs. This logback filter replaces those
 * lines by one INFO line per client address per minute (with the count of the others,
 * {@link LogThrottle}) and counts every one in {@value #METRIC}.
 *
 * <p>Only I/O errors (a reset, a broken pipe, TLS alerts) are taken; any other error of that
 * handler is still logged as James logs it. Installed once per James process, by the first
 * {@link ConnectionLimits} started; a James that logs through something else than logback keeps
 * its lines.</p>
 */
final class ClientResetLog extends TurboFilter {
    static final String METRIC = "relayguard_smtp_connections_reset";
    static final String FILTER_NAME = "relayguard-client-resets";
    /** The logger of James 3.8.1's netty handler, which logs those errors. */
    static final String JAMES_HANDLER = "org.apache.james.protocols.netty.BasicChannelInboundHandler";
    /** The MDC key James puts the client address in (MDCBuilder.IP). */
    private static final String IP = "ip";
    private static final org.slf4j.Logger LOGGER = LoggerFactory.getLogger(ClientResetLog.class);

    private final Metric resets;
    private final LogThrottle throttle = new LogThrottle();

    ClientResetLog(Metric resets) {
        this.resets = resets;
        setName(FILTER_NAME);
    }

    /** Adds the filter to logback's context, unless there already. */
    static void install(Metric resets) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext)) {
            LOGGER.warn("Not logging through logback: connections reset by clients are logged as James logs them");
            return;
        }
        LoggerContext context = (LoggerContext) factory;
        synchronized (ClientResetLog.class) {
            if (context.getTurboFilterList().stream().noneMatch(filter -> FILTER_NAME.equals(filter.getName()))) {
                ClientResetLog filter = new ClientResetLog(resets);
                filter.start();
                context.addTurboFilter(filter);
            }
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (t == null || level != Level.ERROR || !isClientIoError(t) || !JAMES_HANDLER.equals(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        resets.increment();
        String address = String.valueOf(MDC.get(IP));
        throttle.admit(address).ifPresent(leftOut ->
            LOGGER.info("Connection from {} failed: {} ({}; {} more from that address in the last minute not logged)",
                address, t.getMessage(), t.getClass().getSimpleName(), leftOut));
        return FilterReply.DENY;
    }

    private static boolean isClientIoError(Throwable t) {
        return t instanceof IOException && !(t instanceof ClosedChannelException);
    }
}
