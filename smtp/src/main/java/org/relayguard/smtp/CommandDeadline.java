package org.relayguard.smtp;

import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.util.concurrent.ThreadFactoryBuilder;

/**
 * A deadline per command, against slow clients: after each reply, the client has
 * {@code commandDeadline} seconds to complete its next command ({@code dataDeadline} for the
 * message after {@code 354}); otherwise it gets {@code 421 4.4.2 … closing} and the connection is
 * closed. James 3.8.1's {@code connectiontimeout} counts silence only, so a client that sends one
 * byte every few seconds (slowloris) would hold its connection for ever.
 *
 * <p>Give {@code commandDeadline} the listener's {@code connectiontimeout}: a silent client is then
 * closed at the same time either way, and RFC 5321's five minutes per command hold; its ten
 * minutes for the end of the message give {@code dataDeadline}.</p>
 *
 * <pre>{@code
 * <handler class="org.relayguard.smtp.CommandDeadline">
 *     <commandDeadline>300</commandDeadline>
 *     <dataDeadline>600</dataDeadline>
 * </handler>
 * }</pre>
 */
public class CommandDeadline implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession>, ProtocolHandlerResultHandler<Response, SMTPSession> {
    static final String NAME = "CommandDeadline";
    static final String COMMAND_DEADLINE = "commandDeadline";
    static final String DATA_DEADLINE = "dataDeadline";

    private static final Logger LOGGER = LoggerFactory.getLogger(CommandDeadline.class);
    private static final ProtocolSession.AttachmentKey<Deadline> DEADLINE = ProtocolSession.AttachmentKey.of("org.relayguard.command-deadline", Deadline.class);

    private final ScheduledThreadPoolExecutor timer = timer();
    private int commandDeadline;
    private int dataDeadline;

    /** One thread; a connection's task leaves its queue when the connection closes. */
    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            new ThreadFactoryBuilder().setDaemon(true).setNameFormat("relayguard-command-deadline-%d").build());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        commandDeadline = seconds(config, COMMAND_DEADLINE);
        dataDeadline = seconds(config, DATA_DEADLINE);
        LOGGER.info("{}: {} s per command, {} s for a message", NAME, commandDeadline, dataDeadline);
    }

    private static int seconds(Configuration config, String parameter) throws ConfigurationException {
        String value = config.getString(parameter, null);
        try {
            int seconds = Integer.parseInt(String.valueOf(value).trim());
            if (seconds > 0) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationException(NAME + ": parameter '" + parameter + "' must be a number of seconds above 0, got '" + value + "'");
    }

    @Override
    public Response onConnect(SMTPSession session) {
        arm(session, commandDeadline);
        return NoReply.INSTANCE;
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        if (response != null && !response.isEndSession() && !response.getLines().isEmpty()) {
            arm(session, SMTPRetCode.DATA_READY.equals(response.getRetCode()) ? dataDeadline : commandDeadline);
        }
        return response;
    }

    /** Moves the connection's deadline; its check starts with its first deadline. */
    private void arm(ProtocolSession session, int seconds) {
        Optional<Deadline> existing = session.getAttachment(DEADLINE, State.Connection);
        if (existing.isPresent()) {
            existing.get().arm(seconds);
            return;
        }
        Deadline deadline = new Deadline(session);
        session.setAttachment(DEADLINE, deadline, State.Connection);
        deadline.arm(seconds);
        deadline.check();
    }

    /**
     * The deadline of one connection: each reply only moves it (two writes, several per mail), and
     * one timer task per connection checks it. The task runs again at most every
     * {@code min(commandDeadline, dataDeadline)} seconds, and no deadline is nearer than that to the
     * reply that sets it, so a check always comes at the deadline, never after it. (One timer task
     * per reply, cancelled by the next, left every cancelled task in the timer's queue until its
     * time: hundreds of thousands under load, for the garbage collector to copy.)
     */
    private final class Deadline implements Runnable {
        private final ProtocolSession session;
        private volatile int seconds;
        private volatile long expiresAt;
        private volatile ScheduledFuture<?> check;
        private volatile boolean closed;

        Deadline(ProtocolSession session) {
            this.session = session;
        }

        void arm(int deadlineSeconds) {
            seconds = deadlineSeconds;
            expiresAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
        }

        /** Expires the connection past its deadline, otherwise checks again at the deadline or sooner. */
        void check() {
            int armed = seconds;
            long left = expiresAt - System.nanoTime();
            if (closed) {
                return;
            }
            if (left <= 0) {
                expire(session, armed);
                return;
            }
            try {
                check = timer.schedule(this, Math.min(left, TimeUnit.SECONDS.toNanos(Math.min(commandDeadline, dataDeadline))), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // The handler is being destroyed with the server.
            }
        }

        @Override
        public void run() {
            check();
        }

        void cancel() {
            closed = true;
            ScheduledFuture<?> scheduled = check;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
        }
    }

    private void expire(ProtocolSession session, int seconds) {
        LOGGER.info("Closing the connection of {}: no command completed within {} s ({})", session.getRemoteAddress(), seconds,
            seconds == dataDeadline && seconds != commandDeadline ? DATA_DEADLINE : COMMAND_DEADLINE);
        SMTPResponse closing = new SMTPResponse(SMTPRetCode.SERVICE_NOT_AVAILABLE,
            DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.NETWORK_CONNECTION) + " No command completed within " + seconds + " s, closing");
        closing.setEndSession(true);
        if (session instanceof ProtocolSessionImpl) {
            ((ProtocolSessionImpl) session).getProtocolTransport().writeResponse(closing, session);
        }
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        session.getAttachment(DEADLINE, State.Connection).ifPresent(Deadline::cancel);
        session.removeAttachment(DEADLINE, State.Connection);
    }

    @Override
    public void destroy() {
        timer.shutdownNow();
    }
}
