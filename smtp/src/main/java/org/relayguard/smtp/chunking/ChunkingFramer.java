package org.relayguard.smtp.chunking;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.apache.james.protocols.api.CommandDetectionSession;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.netty.BasicChannelInboundHandler;
import org.apache.james.protocols.netty.CommandInjectionDetectedException;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.util.AttributeKey;

/**
 * The frame decoder of a listener that offers CHUNKING: lines as James's own framer cuts them
 * (at each {@code LF}, delimiter kept, at most 8192 bytes), except that after a line that is a
 * {@link BdatCommand} the next {@code size} bytes are handed on as they are, in one or more frames,
 * never read as lines. It parses BDAT itself because it runs ahead of the command handlers (on
 * another executor): a client's {@code BDAT} line, chunk and next command in one TCP read are
 * split here, before any handler saw the BDAT.
 *
 * <p>Lines after a {@code DATA} line are message lines until a line of exactly {@code .}: a BDAT
 * among them is text, not a command. The decoder decides this for each {@code DATA} line by what it
 * has framed: not while a BDAT transaction is open (a BDAT without {@code LAST} framed, and no
 * BDAT {@code LAST}, {@code RSET}, {@code EHLO} or {@code HELO} since), and it queues that decision
 * for {@link BdatCmdHandler}, which then refuses that {@code DATA} ({@code 503}): the handler never
 * reads a message that the decoder reads as commands. When James refuses a {@code DATA} the
 * decoder still treats what follows as message lines; the handler then meets a BDAT this decoder
 * did not frame and closes the connection (fail closed) instead of reading chunk bytes as
 * commands.</p>
 *
 * <p>Before STARTTLS it refuses a {@code STARTTLS} line with anything after it in the same read,
 * or any read while STARTTLS is in flight, as James's framer does, on lines only: chunk bytes are
 * never read for commands. It chunk-frames only when the listener's chain holds
 * {@link BdatCmdHandler} (its connect handler says so); it tells the handler it is in place by
 * the queue of the BDAT lines it framed, a connection attachment of JDK types only.</p>
 */
public class ChunkingFramer extends ByteToMessageDecoder {
    /** The BDAT lines this decoder framed, in order, for {@link BdatCmdHandler} to take. */
    @SuppressWarnings("rawtypes")
    static final ProtocolSession.AttachmentKey<Queue> FRAMED = ProtocolSession.AttachmentKey.of("org.relayguard.chunking.framed", Queue.class);
    /** Per {@code DATA} line framed, in order: whether it starts message lines (false: refuse it). */
    @SuppressWarnings("rawtypes")
    static final ProtocolSession.AttachmentKey<Queue> DATA_DECISIONS = ProtocolSession.AttachmentKey.of("org.relayguard.chunking.data", Queue.class);
    /** Set on connect by {@link BdatCmdHandler}: the listener's chain can consume chunks. */
    static final ProtocolSession.AttachmentKey<Boolean> HANDLER = ProtocolSession.AttachmentKey.of("org.relayguard.chunking.handler", Boolean.class);

    private static final AttributeKey<Object> STARTTLS_IN_FLIGHT = AttributeKey.valueOf("startTlsInFlight");
    private static final String STARTTLS = "starttls";

    private long chunkRemaining;
    private boolean inData;
    private boolean bdatOpen;
    private Queue<String> framed;
    private Queue<Boolean> dataDecisions;

    private final Lines lines;

    public ChunkingFramer(int maxLineLength) {
        this.lines = new Lines(maxLineLength);
    }

    /** James's line cutting: Netty's line decoder, delimiter kept, a too long line discarded. */
    private static final class Lines extends LineBasedFrameDecoder {
        Lines(int maxLineLength) {
            super(maxLineLength, false, false);
        }

        Object next(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            return decode(ctx, in);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (chunkRemaining > 0) {
            int length = (int) Math.min(chunkRemaining, in.readableBytes());
            if (length > 0) {
                chunkRemaining -= length;
                out.add(in.readRetainedSlice(length));
            }
            return;
        }
        Optional<ProtocolSession> session = session(ctx);
        boolean detect = session.map(CommandDetectionSession::needsCommandInjectionDetection).orElse(true);
        Object frame = lines.next(ctx, in);
        if (frame == null) {
            return;
        }
        ByteBuf line = (ByteBuf) frame;
        if (inData) {
            inData = !isEndOfData(line);
            out.add(line);
            return;
        }
        String text = line.toString(StandardCharsets.US_ASCII);
        if (detect) {
            checkStartTls(ctx, text, in);
        }
        if (chunkingHandlerPresent(session)) {
            onCommandLine(session.get(), text);
        } else if (isVerb(text, "DATA")) {
            inData = true;
        }
        out.add(line);
    }

    @SuppressWarnings("unchecked")
    private void onCommandLine(ProtocolSession session, String text) {
        if (isVerb(text, "DATA")) {
            inData = !bdatOpen;
            if (dataDecisions == null) {
                dataDecisions = new ConcurrentLinkedQueue<>();
                session.setAttachment(DATA_DECISIONS, dataDecisions, State.Connection);
            }
            dataDecisions.add(inData);
            return;
        }
        String verb = text.trim().toUpperCase(Locale.US);
        if (verb.equals("RSET") || verb.startsWith("EHLO ") || verb.startsWith("HELO ")) {
            bdatOpen = false;
            return;
        }
        Optional<BdatCommand> bdat = BdatCommand.parse(text);
        if (bdat.isPresent()) {
            framed(session).add(text);
            chunkRemaining = bdat.get().size();
            bdatOpen = !bdat.get().last();
        }
    }

    /** A line of a single dot: read byte by byte, message lines are not made strings. */
    private static boolean isEndOfData(ByteBuf line) {
        int length = line.readableBytes();
        int index = line.readerIndex();
        return (length == 3 && line.getByte(index) == '.' && line.getByte(index + 1) == '\r' && line.getByte(index + 2) == '\n')
            || (length == 2 && line.getByte(index) == '.' && line.getByte(index + 1) == '\n');
    }

    private static boolean isVerb(String line, String verb) {
        return line.trim().equalsIgnoreCase(verb);
    }

    private void checkStartTls(ChannelHandlerContext ctx, String line, ByteBuf rest) {
        boolean inFlight = Boolean.TRUE.equals(ctx.channel().attr(STARTTLS_IN_FLIGHT).get());
        String command = line.trim().toLowerCase(Locale.US);
        if (inFlight) {
            throw new CommandInjectionDetectedException();
        }
        if (command.startsWith(STARTTLS)) {
            if (!command.equals(STARTTLS) || rest.isReadable()) {
                throw new CommandInjectionDetectedException();
            }
            ctx.channel().attr(STARTTLS_IN_FLIGHT).set(true);
        }
    }

    private Optional<ProtocolSession> session(ChannelHandlerContext ctx) {
        Object session = ctx.channel().attr(BasicChannelInboundHandler.SESSION_ATTRIBUTE_KEY).get();
        if (!(session instanceof ProtocolSession)) {
            return Optional.empty();
        }
        ProtocolSession protocolSession = (ProtocolSession) session;
        framed(protocolSession);
        return Optional.of(protocolSession);
    }

    @SuppressWarnings("unchecked")
    private Queue<String> framed(ProtocolSession session) {
        if (framed == null) {
            framed = new ConcurrentLinkedQueue<>();
            session.setAttachment(FRAMED, framed, State.Connection);
        }
        return framed;
    }

    private static boolean chunkingHandlerPresent(Optional<ProtocolSession> session) {
        return session.flatMap(s -> s.getAttachment(HANDLER, State.Connection)).orElse(false);
    }
}
