package org.relayguard.smtp.chunking;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Turns the bytes of a message's chunks, cut anywhere, into the lines a DATA client would have
 * sent: each line ends with {@code CRLF} (a bare {@code LF} gets its {@code CR}), a line starting
 * with {@code .} is dot-stuffed, and {@link #finish()} ends the last line and adds the {@code .}
 * line. A {@code CR} not followed by {@code LF} stays as it is. Lines over {@code maxLineLength}
 * bytes are not cut and not dropped: the message is marked {@link #tooLong() too long} and its
 * further bytes ignored, for the handler to refuse it.
 */
public final class ChunkAssembler {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte DOT = '.';
    private static final byte[] END_OF_DATA = {DOT, CR, LF};

    private final Consumer<byte[]> lines;
    private final int maxLineLength;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private boolean tooLong;

    public ChunkAssembler(Consumer<byte[]> lines, int maxLineLength) {
        this.lines = lines;
        this.maxLineLength = maxLineLength;
    }

    /** Takes the next bytes of the message; complete lines go to the consumer. */
    public void accept(byte[] bytes, int offset, int length) {
        if (tooLong) {
            return;
        }
        int start = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            if (bytes[i] == LF) {
                partial.write(bytes, start, i - start);
                emitLine();
                start = i + 1;
                if (tooLong) {
                    return;
                }
            }
        }
        partial.write(bytes, start, end - start);
        if (partial.size() > maxLineLength) {
            overflow();
        }
    }

    /** Ends the message: the pending line, if any, with its CRLF, then the {@code .} line. */
    public void finish() {
        if (tooLong) {
            return;
        }
        if (partial.size() > 0) {
            emitLine();
        }
        if (!tooLong) {
            lines.accept(END_OF_DATA.clone());
        }
    }

    /** Whether a line was longer than the limit (the message is then incomplete). */
    public boolean tooLong() {
        return tooLong;
    }

    private void emitLine() {
        byte[] content = partial.toByteArray();
        partial.reset();
        int length = content.length;
        if (length > 0 && content[length - 1] == CR) {
            length--;
        }
        if (length > maxLineLength) {
            overflow();
            return;
        }
        boolean stuff = length > 0 && content[0] == DOT;
        byte[] line = new byte[length + (stuff ? 1 : 0) + 2];
        int position = 0;
        if (stuff) {
            line[position++] = DOT;
        }
        System.arraycopy(content, 0, line, position, length);
        line[line.length - 2] = CR;
        line[line.length - 1] = LF;
        lines.accept(line);
    }

    private void overflow() {
        tooLong = true;
        partial.reset();
    }
}
