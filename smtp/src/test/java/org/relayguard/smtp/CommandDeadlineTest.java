package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSessionImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CommandDeadlineTest {
    private static final int COMMAND_SECONDS = 1;
    private static final int DATA_SECONDS = 3;

    private final CommandDeadline deadline = new CommandDeadline();
    private final List<Long> closedAfterMillis = new CopyOnWriteArrayList<>();
    private long start;
    private SMTPSessionImpl session;

    @BeforeEach
    void setUp() throws Exception {
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty(CommandDeadline.COMMAND_DEADLINE, COMMAND_SECONDS);
        config.addProperty(CommandDeadline.DATA_DEADLINE, DATA_SECONDS);
        deadline.init(config);
        session = session();
        start = System.nanoTime();
    }

    @AfterEach
    void tearDown() {
        deadline.destroy();
    }

    @Test
    void aReplyShouldGiveTheClientAFullCommandDeadlineAgain() throws Exception {
        deadline.onConnect(session);
        Thread.sleep(700);
        deadline.onResponse(session, reply("250"), 0, null);

        assertThat(closedAfter(Duration.ofSeconds(5))).as("closed a command deadline after the last reply, not after the connection")
            .isBetween(1_650L, 2_500L);
    }

    @Test
    void theCommandDeadlineAfterTheMessageShouldNotWaitForTheLongerDataDeadline() throws Exception {
        deadline.onConnect(session);
        deadline.onResponse(session, reply("354"), 0, null);
        Thread.sleep(200);
        deadline.onResponse(session, reply("250"), 0, null);

        assertThat(closedAfter(Duration.ofSeconds(6))).as("the command deadline of the reply to the message, not the data deadline")
            .isBetween(1_150L, 2_000L);
    }

    @Test
    void aClientThatSendsItsMessageWithinTheDataDeadlineShouldNotBeClosedAtTheCommandDeadline() throws Exception {
        deadline.onConnect(session);
        deadline.onResponse(session, reply("354"), 0, null);

        assertThat(closedAfter(Duration.ofSeconds(6))).as("the data deadline after 354").isBetween(2_950L, 4_000L);
    }

    @Test
    void aClosedConnectionShouldNeverGetTheDeadlineReply() throws Exception {
        deadline.onConnect(session);
        deadline.onDisconnect(session);

        Thread.sleep(1_600);
        assertThat(closedAfterMillis).isEmpty();
    }

    /** How long after the start the connection got its 421, waiting {@code timeout} at most. */
    private long closedAfter(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (closedAfterMillis.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(closedAfterMillis).as("421 written").hasSize(1);
        return closedAfterMillis.get(0);
    }

    private static Response reply(String code) {
        return new SMTPResponse(code, "ok");
    }

    private SMTPSessionImpl session() {
        SMTPSessionImpl session = TestSessions.withTransactionState(SMTPSessionImpl.class);
        ProtocolTransport transport = mock(ProtocolTransport.class);
        when(session.getProtocolTransport()).thenReturn(transport);
        doAnswer(call -> {
            Response response = call.getArgument(0);
            if ("421".equals(response.getRetCode()) && response.isEndSession()) {
                closedAfterMillis.add((System.nanoTime() - start) / 1_000_000);
            }
            return null;
        }).when(transport).writeResponse(any(Response.class), any());
        return session;
    }
}
