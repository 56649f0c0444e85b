package org.relayguard.smtp.chunking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.apache.james.protocols.api.BaseRequest;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class BdatCmdHandlerTest {
    private final Map<ProtocolSession.AttachmentKey<?>, Object> attachments = new HashMap<>();
    private final BdatCmdHandler handler = new BdatCmdHandler();
    private final SMTPSession session = mock(SMTPSession.class);

    BdatCmdHandlerTest() {
        when(session.getAttachment(any(), any())).thenAnswer(call -> Optional.ofNullable(attachments.get(call.getArgument(0))));
        when(session.setAttachment(any(), any(), any())).thenAnswer(call -> Optional.ofNullable(attachments.put(call.getArgument(0), call.getArgument(1))));
    }

    private Queue<String> framer() {
        Queue<String> framed = new ConcurrentLinkedQueue<>();
        attachments.put(ChunkingFramer.FRAMED, framed);
        return framed;
    }

    @Test
    void withoutTheFramerBdatShouldBeUnknownAndChunkingNotOffered() {
        handler.onConnect(session);
        assertThat(handler.getImplementedEsmtpFeatures(session)).isEmpty();
        Response response = handler.onCommand(session, new BaseRequest("BDAT", "5 LAST"));
        assertThat(response.getRetCode()).isEqualTo("500");
        verify(session, never()).pushLineHandler(any());
    }

    @Test
    void withTheFramerChunkingShouldBeOffered() {
        framer();
        assertThat(handler.getImplementedEsmtpFeatures(session)).containsExactly("CHUNKING");
    }

    @Test
    void aBdatTheFramerDidNotFrameShouldCloseTheConnection() {
        framer();
        Response response = handler.onCommand(session, new BaseRequest("BDAT", "5"));
        assertThat(response.getRetCode()).isEqualTo("421");
        assertThat(response.isEndSession()).isTrue();
    }

    @Test
    void aBdatFramedWithAnotherSizeShouldCloseTheConnection() {
        framer().add("BDAT 7\r\n");
        Response response = handler.onCommand(session, new BaseRequest("BDAT", "5"));
        assertThat(response.getRetCode()).isEqualTo("421");
        assertThat(response.isEndSession()).isTrue();
    }

    @Test
    void aMalformedBdatShouldGet501AndReadNoChunk() {
        framer();
        Response response = handler.onCommand(session, new BaseRequest("BDAT", "five"));
        assertThat(response.getRetCode()).isEqualTo("501");
        verify(session, never()).pushLineHandler(any());
    }

    @Test
    void aBdatWithoutMailShouldReadItsChunkThenGet503() {
        framer().add("BDAT 5\r\n");
        assertThat(handler.onCommand(session, new BaseRequest("BDAT", "5")).getLines()).isEmpty();
        @SuppressWarnings({"unchecked", "rawtypes"})
        ArgumentCaptor<LineHandler<SMTPSession>> chunk = (ArgumentCaptor) ArgumentCaptor.forClass(LineHandler.class);
        verify(session).pushLineHandler(chunk.capture());
        assertThat(chunk.getValue().onLine(session, "MAIL".getBytes(StandardCharsets.US_ASCII))).as("mid-chunk").isNull();
        verify(session, never()).popLineHandler();
        assertThat(chunk.getValue().onLine(session, "\n".getBytes(StandardCharsets.US_ASCII)).getRetCode()).isEqualTo("503");
        verify(session).popLineHandler();
    }

    @Test
    void bdatZeroWithoutMailShouldGet503AtOnce() {
        framer().add("BDAT 0 LAST\r\n");
        assertThat(handler.onCommand(session, new BaseRequest("BDAT", "0 LAST")).getRetCode()).isEqualTo("503");
    }

    @Test
    void dataShouldBeRefusedWhenTheFramerReadsChunksAfterIt() {
        framer();
        Queue<Boolean> decisions = new ConcurrentLinkedQueue<>();
        decisions.add(false);
        decisions.add(true);
        attachments.put(ChunkingFramer.DATA_DECISIONS, decisions);
        assertThat(handler.onCommand(session, new BaseRequest("DATA", null)).getRetCode()).isEqualTo("503");
        assertThat(handler.onCommand(session, new BaseRequest("DATA", null))).as("James's DATA goes on").isNull();
    }
}
