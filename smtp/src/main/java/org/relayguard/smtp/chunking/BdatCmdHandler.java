package org.relayguard.smtp.chunking;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Queue;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.api.handler.WiringException;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.smtpserver.ExtendedSMTPSession;
import org.relayguard.smtp.NoReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;

/**
 * CHUNKING (RFC 3030): the {@code BDAT} command, on a listener whose frame decoder is
 * {@link ChunkingFramer}. It offers {@code CHUNKING} in EHLO only there; on a stock James 3.8.1
 * (James's line framer) it offers nothing and answers {@code BDAT} as James answers an unknown
 * command.
 *
 * <p>Every BDAT the decoder framed consumes exactly its {@code size} bytes, also when it is
 * refused (no MAIL or RCPT: {@code 503} after the chunk). The chunks go through
 * {@link ChunkAssembler} into the lines a DATA client would have sent, and those go through the
 * listener's {@link DataLineFilter}s, as James's DATA does: the size limit across all chunks
 * ({@code 552}), the {@code Received} header, the message hooks and the queue. A chunk that is not
 * the last gets {@code 250 2.0.0 <n> octets received}; the last one gets the queue's answer.
 * {@code DATA} while a BDAT transaction is open gets {@code 503}; {@code RSET} discards it. Each
 * chunk's reply goes through the chain's result handlers, so the command deadline re-arms per
 * chunk.</p>
 *
 * <pre>{@code <handler class="org.relayguard.smtp.chunking.BdatCmdHandler"/>}</pre>
 */
public class BdatCmdHandler implements CommandHandler<SMTPSession>, ExtensibleHandler, EhloExtension, ConnectHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(BdatCmdHandler.class);
    private static final ProtocolSession.AttachmentKey<Transaction> TRANSACTION =
        ProtocolSession.AttachmentKey.of("org.relayguard.chunking.transaction", Transaction.class);
    /** A line longer than this inside a chunk refuses the message (never cut, never dropped). */
    static final int MAX_LINE_LENGTH = 1024 * 1024;

    private List<DataLineFilter> filters = List.of();
    private List<ProtocolHandlerResultHandler<Response, ProtocolSession>> resultHandlers = List.of();

    @Override
    public Collection<String> getImplCommands() {
        return ImmutableSet.of("BDAT", "DATA");
    }

    @Override
    public Response onConnect(SMTPSession session) {
        session.setAttachment(ChunkingFramer.HANDLER, true, State.Connection);
        return NoReply.INSTANCE;
    }

    @Override
    public List<String> getImplementedEsmtpFeatures(SMTPSession session) {
        return framed(session).isPresent() ? ImmutableList.of("CHUNKING") : ImmutableList.of();
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if ("DATA".equalsIgnoreCase(request.getCommand())) {
            return onData(session);
        }
        Optional<Queue<String>> framed = framed(session);
        if (framed.isEmpty()) {
            return reply(SMTPRetCode.SYNTAX_ERROR_COMMAND_UNRECOGNIZED,
                DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.DELIVERY_INVALID_CMD) + " Command " + request.getCommand() + " unrecognized.");
        }
        String line = framed.get().poll();
        Optional<BdatCommand> asReceived = BdatCommand.parse("BDAT " + request.getArgument());
        if (line == null && asReceived.isEmpty()) {
            return reply(SMTPRetCode.SYNTAX_ERROR_ARGUMENTS, DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.DELIVERY_INVALID_ARG) + " Syntax: BDAT <size> [LAST]");
        }
        Optional<BdatCommand> asFramed = Optional.ofNullable(line).flatMap(BdatCommand::parse);
        if (asFramed.isEmpty() || !asFramed.map(BdatCommand::toString).equals(asReceived.map(BdatCommand::toString))) {
            LOGGER.info("Closing the connection of {}: a BDAT command the frame decoder did not read as this one", session.getRemoteAddress());
            SMTPResponse closing = reply(SMTPRetCode.SERVICE_NOT_AVAILABLE,
                DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.UNDEFINED_STATUS) + " BDAT out of sequence, closing");
            closing.setEndSession(true);
            return closing;
        }
        BdatCommand command = asFramed.get();
        Chunk chunk = new Chunk(command, open(session));
        if (command.size() == 0) {
            return chunk.end(session);
        }
        session.pushLineHandler(chunk);
        return NoReply.INSTANCE;
    }

    /**
     * {@code 503} while a BDAT transaction is open, as the decoder judged it for this DATA line
     * (it then reads what follows as commands) or as this handler knows it; else James's DATA runs.
     */
    @SuppressWarnings("unchecked")
    private Response onData(SMTPSession session) {
        boolean decoderReadsMessage = session.getAttachment(ChunkingFramer.DATA_DECISIONS, State.Connection)
            .map(queue -> (Queue<Boolean>) queue)
            .map(queue -> Optional.ofNullable(queue.poll()).orElse(true))
            .orElse(true);
        if (!decoderReadsMessage || session.getAttachment(TRANSACTION, State.Transaction).isPresent()) {
            return reply(SMTPRetCode.BAD_SEQUENCE, DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.DELIVERY_OTHER)
                + " DATA is not allowed in a BDAT transaction");
        }
        return null;
    }

    /** The open transaction, a new one, or empty when the session has no sender and recipients. */
    private Optional<Transaction> open(SMTPSession session) {
        Optional<Transaction> open = session.getAttachment(TRANSACTION, State.Transaction);
        if (open.isPresent()) {
            return open;
        }
        if (session.getAttachment(SMTPSession.SENDER, State.Transaction).isEmpty()
            || session.getAttachment(SMTPSession.RCPT_LIST, State.Transaction).map(List::isEmpty).orElse(true)) {
            return Optional.empty();
        }
        try {
            MimeMessageInputStreamSource source = MimeMessageInputStreamSource.create(MailImpl.getId());
            ((ExtendedSMTPSession) session).setMimeMessageInputStreamSource(source);
        } catch (Exception e) {
            LOGGER.warn("Could not create the message source for BDAT", e);
            return Optional.of(Transaction.failed(reply(SMTPRetCode.LOCAL_ERROR,
                DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.UNDEFINED_STATUS) + " Unexpected error preparing to receive BDAT")));
        }
        Transaction transaction = new Transaction(session, filters);
        session.setAttachment(TRANSACTION, transaction, State.Transaction);
        return Optional.of(transaction);
    }

    @SuppressWarnings("unchecked")
    private static Optional<Queue<String>> framed(SMTPSession session) {
        return session.getAttachment(ChunkingFramer.FRAMED, State.Connection).map(queue -> (Queue<String>) queue);
    }

    private static SMTPResponse reply(String code, CharSequence text) {
        return new SMTPResponse(code, text);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(DataLineFilter.class, ProtocolHandlerResultHandler.class);
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public void wireExtensions(Class<?> interfaceName, List<?> extension) throws WiringException {
        if (DataLineFilter.class.equals(interfaceName)) {
            filters = List.copyOf((List<DataLineFilter>) extension);
        } else if (ProtocolHandlerResultHandler.class.equals(interfaceName)) {
            resultHandlers = List.copyOf((List) extension);
        }
    }

    /** One chunk being read: the line handler pushed for exactly its size in bytes. */
    private final class Chunk implements LineHandler<SMTPSession> {
        private final BdatCommand command;
        private final Optional<Transaction> transaction;
        private final long start = System.currentTimeMillis();
        private long remaining;

        Chunk(BdatCommand command, Optional<Transaction> transaction) {
            this.command = command;
            this.transaction = transaction;
            this.remaining = command.size();
        }

        @Override
        public Response onLine(SMTPSession session, byte[] bytes) {
            if (bytes.length > remaining) {
                session.popLineHandler();
                SMTPResponse closing = reply(SMTPRetCode.SERVICE_NOT_AVAILABLE,
                    DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.UNDEFINED_STATUS) + " Chunk framing lost, closing");
                closing.setEndSession(true);
                return closing;
            }
            remaining -= bytes.length;
            transaction.ifPresent(t -> t.accept(bytes));
            if (remaining > 0) {
                return null;
            }
            session.popLineHandler();
            Response response = end(session);
            for (ProtocolHandlerResultHandler<Response, ProtocolSession> handler : resultHandlers) {
                response = handler.onResponse(session, response, System.currentTimeMillis() - start, BdatCmdHandler.this);
            }
            return response;
        }

        Response end(SMTPSession session) {
            if (transaction.isEmpty()) {
                return reply(SMTPRetCode.BAD_SEQUENCE, DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.DELIVERY_OTHER)
                    + " Need MAIL and RCPT before BDAT");
            }
            Transaction open = transaction.get();
            Optional<Response> failure = open.failure();
            if (failure.isPresent()) {
                session.resetState();
                return failure.get();
            }
            if (!command.last()) {
                return reply(SMTPRetCode.MAIL_OK, DSNStatus.getStatus(DSNStatus.SUCCESS, DSNStatus.UNDEFINED_STATUS)
                    + " " + command.size() + " octets received");
            }
            session.removeAttachment(TRANSACTION, State.Transaction);
            Response response = open.finish();
            if (open.tooLong()) {
                session.resetState();
                return reply(SMTPRetCode.TRANSACTION_FAILED, DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.CONTENT_OTHER)
                    + " A line of the message is longer than " + MAX_LINE_LENGTH + " bytes");
            }
            return Optional.ofNullable(response).orElseGet(() -> reply(SMTPRetCode.LOCAL_ERROR,
                DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.UNDEFINED_STATUS) + " Unexpected error handling BDAT"));
        }
    }

    /** A message arriving in chunks: its lines go through the listener's DATA line filters. */
    static final class Transaction {
        private final SMTPSession session;
        private final LineHandler<SMTPSession> lines;
        private final ChunkAssembler assembler;
        private Response failure;

        private Transaction(SMTPSession session, List<DataLineFilter> filters) {
            this.session = session;
            LineHandler<SMTPSession> chain = (s, line) -> null;
            for (int i = filters.size() - 1; i >= 0; i--) {
                DataLineFilter filter = filters.get(i);
                LineHandler<SMTPSession> next = chain;
                chain = (s, line) -> filter.onLine(s, line, next);
            }
            this.lines = chain;
            this.assembler = new ChunkAssembler(this::feed, MAX_LINE_LENGTH);
        }

        static Transaction failed(Response failure) {
            Transaction transaction = new Transaction(null, List.of());
            transaction.failure = failure;
            return transaction;
        }

        private Response last;

        private void feed(byte[] line) {
            if (failure != null) {
                return;
            }
            Response response = lines.onLine(session, line);
            if (response != null) {
                last = response;
                if (!(line.length == 3 && line[0] == '.')) {
                    failure = response;
                }
            }
        }

        void accept(byte[] bytes) {
            if (failure == null) {
                assembler.accept(bytes, 0, bytes.length);
            }
        }

        Optional<Response> failure() {
            return Optional.ofNullable(failure);
        }

        boolean tooLong() {
            return assembler.tooLong();
        }

        Response finish() {
            assembler.finish();
            return failure != null ? failure : last;
        }
    }
}
