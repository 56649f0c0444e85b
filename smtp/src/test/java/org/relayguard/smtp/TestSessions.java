package org.relayguard.smtp;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;

/** SMTP sessions for the handlers' unit tests. */
final class TestSessions {
    private TestSessions() {
    }

    /** An SMTP session that keeps its transaction state in a map, as James's own does, and reads commands as US-ASCII. */
    static SMTPSession withTransactionState() {
        return withTransactionState(SMTPSession.class);
    }

    /** As {@link #withTransactionState()}, a mock of this class of session (e.g. James's SMTPSessionImpl). */
    @SuppressWarnings("unchecked")
    static <T extends SMTPSession> T withTransactionState(Class<T> type) {
        Map<AttachmentKey<?>, Object> transaction = new HashMap<>();
        T session = mock(type);
        when(session.getRemoteAddress()).thenReturn(new InetSocketAddress("127.0.0.2", 40000));
        when(session.getCharset()).thenReturn(StandardCharsets.US_ASCII);
        when(session.getAttachment(any(AttachmentKey.class), any(State.class))).thenAnswer(call ->
            Optional.ofNullable(transaction.get((AttachmentKey<?>) call.getArgument(0))));
        when(session.setAttachment(any(AttachmentKey.class), any(), any(State.class))).thenAnswer(call ->
            Optional.ofNullable(transaction.put(call.getArgument(0), call.getArgument(1))));
        when(session.removeAttachment(any(AttachmentKey.class), any(State.class))).thenAnswer(call ->
            Optional.ofNullable(transaction.remove((AttachmentKey<?>) call.getArgument(0))));
        return session;
    }
}
