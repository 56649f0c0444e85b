package org.relayguard.smtp.chunking;

import java.util.Optional;

/**
 * One {@code BDAT <size> [LAST]} command line (RFC 3030), parsed strictly: the frame decoder and
 * {@link BdatCmdHandler} both read a line with this class only, so they never disagree on how
 * many bytes of chunk follow it.
 *
 * <p>Accepted: {@code BDAT}, one space, 1 to 18 digits, optionally one space and {@code LAST}
 * (letters in any case), then {@code CRLF} or a bare {@code LF} (or nothing, for a line given
 * without its end). Anything else is not a BDAT command.</p>
 */
public final class BdatCommand {
    private static final int MAX_DIGITS = 18;

    private final long size;
    private final boolean last;

    private BdatCommand(long size, boolean last) {
        this.size = size;
        this.last = last;
    }

    /** The command of a line (with or without its line end), if it is a well-formed BDAT. */
    public static Optional<BdatCommand> parse(CharSequence line) {
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\n') {
            end--;
            if (end > 0 && line.charAt(end - 1) == '\r') {
                end--;
            }
        }
        if (end < 6 || !regionIgnoreCase(line, 0, "BDAT ")) {
            return Optional.empty();
        }
        int position = 5;
        int digitsStart = position;
        while (position < end && isDigit(line.charAt(position))) {
            position++;
        }
        int digits = position - digitsStart;
        if (digits == 0 || digits > MAX_DIGITS) {
            return Optional.empty();
        }
        long size = Long.parseLong(line.subSequence(digitsStart, position).toString());
        if (position == end) {
            return Optional.of(new BdatCommand(size, false));
        }
        if (end - position == 5 && regionIgnoreCase(line, position, " LAST")) {
            return Optional.of(new BdatCommand(size, true));
        }
        return Optional.empty();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean regionIgnoreCase(CharSequence line, int offset, String expected) {
        if (line.length() - offset < expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            if (Character.toUpperCase(line.charAt(offset + i)) != expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The number of chunk bytes that follow the command line. */
    public long size() {
        return size;
    }

    /** Whether this chunk ends the message. */
    public boolean last() {
        return last;
    }

    @Override
    public String toString() {
        return "BDAT " + size + (last ? " LAST" : "");
    }
}
