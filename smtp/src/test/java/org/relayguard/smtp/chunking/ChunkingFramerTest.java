package org.relayguard.smtp.chunking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;
import org.apache.james.protocols.netty.CommandInjectionDetectedException;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

class ChunkingFramerTest {
    private final Map<ProtocolSession.AttachmentKey<?>, Object> attachments = new HashMap<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ChunkingFramer(8192));

    private ProtocolSession session(boolean handler, boolean detectInjection) {
        ProtocolSession session = mock(ProtocolSession.class);
        if (handler) {
            attachments.put(ChunkingFramer.HANDLER, true);
        }
        when(session.getAttachment(any(), any())).thenAnswer(call -> Optional.ofNullable(attachments.get(call.getArgument(0))));
        when(session.setAttachment(any(), any(), any())).thenAnswer(call -> Optional.ofNullable(attachments.put(call.getArgument(0), call.getArgument(1))));
        when(session.needsCommandInjectionDetection()).thenReturn(detectInjection);
        channel.attr(BasicChannelInboundHandler.SESSION_ATTRIBUTE_KEY).set(session);
        return session;
    }

    private List<String> frames(String... reads) {
        for (String read : reads) {
            channel.writeInbound(Unpooled.copiedBuffer(read, StandardCharsets.ISO_8859_1));
        }
        List<String> frames = new ArrayList<>();
        ByteBuf frame;
        while ((frame = channel.readInbound()) != null) {
            frames.add(frame.toString(StandardCharsets.ISO_8859_1));
            frame.release();
        }
        return frames;
    }

    @Test
    void framerShouldSplitPipelinedBdatChunksAndTheNextCommandFromOneRead() {
        session(true, false);
        assertThat(frames("EHLO x\r\nBDAT 5\r\nab\r\nXBDAT 3 LAST\r\nQ\r\nQUIT\r\n"))
            .containsExactly("EHLO x\r\n", "BDAT 5\r\n", "ab\r\nX", "BDAT 3 LAST\r\n", "Q\r\n", "QUIT\r\n");
        assertThat(attachments.get(ChunkingFramer.FRAMED)).isInstanceOfSatisfying(Queue.class,
            queue -> assertThat(queue).containsExactly("BDAT 5\r\n", "BDAT 3 LAST\r\n"));
    }

    @Test
    void framerShouldHandOnAChunkSplitAcrossReadsAsItArrives() {
        session(true, false);
        assertThat(frames("BDAT 10\r\nabc", "defghij", "NOOP\r\n")).containsExactly("BDAT 10\r\n", "abc", "defghij", "NOOP\r\n");
    }

    @Test
    void framerShouldNeverApplyTheLineLimitToChunkBytes() {
        session(true, false);
        List<String> frames = frames("BDAT 20000\r\n" + "x".repeat(20000), "NOOP\r\n");
        assertThat(frames.get(0)).isEqualTo("BDAT 20000\r\n");
        assertThat(frames.subList(1, frames.size() - 1).stream().mapToInt(String::length).sum()).isEqualTo(20000);
        assertThat(frames.get(frames.size() - 1)).isEqualTo("NOOP\r\n");
    }

    @Test
    void framerShouldReadBdatAsALineWhenTheChainHasNoBdatHandler() {
        session(false, false);
        assertThat(frames("BDAT 3\r\nab\r\n")).containsExactly("BDAT 3\r\n", "ab\r\n");
    }

    @Test
    void framerShouldReadBdatInsideDataAsMessageText() {
        session(true, false);
        assertThat(frames("DATA\r\nBDAT 3\r\nabc\r\n.\r\nBDAT 1\r\nx"))
            .containsExactly("DATA\r\n", "BDAT 3\r\n", "abc\r\n", ".\r\n", "BDAT 1\r\n", "x");
    }

    @Test
    void framerShouldKeepReadingChunksAfterADataInAnOpenBdatTransaction() {
        session(true, false);
        assertThat(frames("BDAT 2\r\nabDATA\r\nBDAT 1 LAST\r\nx")).containsExactly("BDAT 2\r\n", "ab", "DATA\r\n", "BDAT 1 LAST\r\n", "x");
        assertThat(attachments.get(ChunkingFramer.DATA_DECISIONS)).isInstanceOfSatisfying(Queue.class,
            queue -> assertThat(queue).containsExactly(false));
    }

    @Test
    void framerShouldRefuseCommandsPipelinedAfterStartTls() {
        session(true, true);
        assertThatThrownBy(() -> frames("STARTTLS\r\nMAIL FROM:<a@b>\r\n")).hasCauseInstanceOf(CommandInjectionDetectedException.class);
    }

    @Test
    void framerShouldNotReadChunkBytesForStartTls() {
        session(true, true);
        assertThat(frames("BDAT 10\r\nSTARTTLS\r\n")).containsExactly("BDAT 10\r\n", "STARTTLS\r\n");
    }
}
