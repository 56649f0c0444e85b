package org.relayguard.server.queue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import javax.mail.MessagingException;

import org.apache.james.server.core.MimeMessageSource;
import org.apache.james.server.core.MimeMessageUtil;
import org.apache.james.server.core.MimeMessageWrapper;

/**
 * The message of a mail the queue hands out: James's message over the queued bytes, whose writer
 * gives the header lines back byte for byte ({@link HeaderLines}). Delivery writes a message with
 * {@code writeTo} (javax.mail's SMTP client, PooledDelivery and James's RemoteDelivery alike), and
 * James's own writer would put a {@code ?} for every header byte above 127: raw UTF-8 (RFC 6532)
 * and Latin-1 header fields reached the next hop mangled. Everything else is James's: the same
 * header lines (those received, or the changed ones once a mailet changed a header), the fields
 * javax.mail leaves out ({@code Bcc}), and a body copied from the received bytes unless a mailet
 * changed it. No more reading than James's writer: the received header parsed once per message
 * (as James parses it for any header read), passed over without parsing on each write, then the
 * body streamed.
 */
final class QueuedMessage extends MimeMessageWrapper {

    QueuedMessage(MimeMessageSource source) {
        super(source);
    }

    @Override
    public void writeTo(OutputStream headerOut, OutputStream bodyOut, String[] ignoreList, boolean preLoad)
        throws IOException, MessagingException {
        if (preLoad || source == null || isBodyModified()) {
            writeParsed(headerOut, bodyOut, ignoreList, preLoad);
            return;
        }
        if (isHeaderModified()) {
            saveIfChanged();
        }
        // The header lines this message holds: parsed from the received bytes once per message (a
        // delivery writes it twice and reads its Subject), the changed ones if a mailet changed any.
        HeaderLines.write(getNonMatchingHeaderLines(ignoreList), headerOut);
        try (InputStream received = source.getInputStream()) {
            // Past the received header: what follows is the body, copied as it is.
            HeaderEnd.skip(received);
            received.transferTo(bodyOut);
        }
    }

    /** A body a mailet changed (or one to be parsed first): javax.mail writes it from its parts. */
    private void writeParsed(OutputStream headerOut, OutputStream bodyOut, String[] ignoreList, boolean preLoad)
        throws IOException, MessagingException {
        saveIfChanged();
        HeaderLines.write(getNonMatchingHeaderLines(ignoreList), headerOut);
        if (preLoad && !messageParsed) {
            loadMessage();
        }
        MimeMessageUtil.writeMessageBodyTo(this, bodyOut);
    }

    /** As James before writing a changed message: its header fields brought up to date once (JAMES-1320). */
    private void saveIfChanged() throws MessagingException {
        if (!saved) {
            saveChanges();
        }
    }
}
