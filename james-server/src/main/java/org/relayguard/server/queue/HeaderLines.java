package org.relayguard.server.queue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;

/**
 * Header lines written back as the bytes they were read from. javax.mail reads a header byte as
 * one char (ISO-8859-1; the gateway never sets the system property {@code mail.mime.allowutf8},
 * which would read UTF-8 and turn every byte that is not UTF-8 into U+FFFD), so writing each char
 * as its byte gives raw UTF-8 (RFC 6532) and Latin-1 header bytes back unchanged. James's writer
 * encodes them as US-ASCII, a {@code ?} for each byte above 127. A line a mailet set with a char
 * beyond one byte is written in UTF-8.
 */
final class HeaderLines {
    private static final byte[] CRLF = {'\r', '\n'};

    private HeaderLines() {
    }

    /** The lines, each ended with CRLF, then the empty line that ends the header. */
    static void write(Enumeration<String> lines, OutputStream out) throws IOException {
        while (lines.hasMoreElements()) {
            out.write(bytes(lines.nextElement()));
            out.write(CRLF);
        }
        out.write(CRLF);
    }

    /** One byte per char when every char fits one, else UTF-8. */
    static byte[] bytes(String line) {
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) > 0xFF) {
                return line.getBytes(StandardCharsets.UTF_8);
            }
        }
        return line.getBytes(StandardCharsets.ISO_8859_1);
    }
}
