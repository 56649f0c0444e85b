package org.relayguard.server.queue;

import java.io.IOException;
import java.io.InputStream;

import javax.mail.MessagingException;

import org.apache.james.server.core.MailHeaders;

/**
 * Reads a received message to the end of its header, where its body begins, without parsing the
 * header: the queue writes a header from the fields it already holds and copies the body after it,
 * and parsing the received header again only to find its end cost a second pass of javax.mail's
 * parser per write (strings and header objects for every line). The end is where javax.mail's
 * parser stops: after the first empty line, a line ending in LF, CR LF, CR CR LF or a lone CR, as
 * its {@code LineInputStream} reads them; or the end of the stream.
 */
final class HeaderEnd {
    private HeaderEnd() {
    }

    /**
     * Leaves the stream at the first byte of the body. A stream without mark support (needed to
     * look past a lone CR) is read by javax.mail's parser, as before.
     */
    static void skip(InputStream in) throws IOException, MessagingException {
        if (!in.markSupported()) {
            new MailHeaders(in);
            return;
        }
        boolean lineEmpty = true;
        int octet;
        while ((octet = in.read()) != -1) {
            if (octet == '\r') {
                completeLineEndingAfterCr(in);
            }
            if (octet == '\n' || octet == '\r') {
                if (lineEmpty) {
                    return;
                }
                lineEmpty = true;
            } else {
                lineEmpty = false;
            }
        }
    }

    /**
     * After a CR, which ends the line either way: consumes the LF (or CR LF) that completes the
     * line ending; any other byte stays unread, as javax.mail leaves it.
     */
    private static void completeLineEndingAfterCr(InputStream in) throws IOException {
        in.mark(2);
        int next = in.read();
        if (next == '\r') {
            next = in.read();
        }
        if (next != '\n') {
            in.reset();
        }
    }
}
