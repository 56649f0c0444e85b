package org.relayguard.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A queued body is the body as received: a mailet that changed only headers (the gateway adds
 * its decision headers) must not make the queue re-encode a malformed MIME body, which James's
 * writer cannot always do (CorpusTest's real bounces went to the error repository).
 */
class MailBodiesTest {
    /** The shape of the corpus's lhost-x3-06: parameters after a trailing ';', a part header inside a Content-Type. */
    private static final String BODY = "This is a multi-part message in MIME format.\r\n"
        + "\r\n"
        + "--b1\r\n"
        + "Content-Type: text/plain; charset=UTF-8;\r\n"
        + "Content-Transfer-Encoding: 8bit\r\n"
        + "\r\n"
        + "Delivery to the following recipients was aborted: caf\u00e9\r\n"
        + "--b1\r\n"
        + "Content-Type: text/rfc822-headers; Content-Transfer-Encoding: 8bit\r\n"
        + "\r\n"
        + "xxxx\r\n"
        + "--b1--\r\n";

    @TempDir
    Path directory;

    @Test
    void writeShouldKeepAMalformedBodyByteForByteWhenOnlyHeadersChanged() throws Exception {
        assertBodyKept("Content-Type: multipart/report; boundary=\"b1\"\r\n");
    }

    @Test
    void writeShouldKeepTheBodyWhenTheTopContentTypeCannotBeParsed() throws Exception {
        assertBodyKept("Content-Type: multipart/report; boundary=\"b1\"; Content-Transfer-Encoding: 8bit; =\r\n");
    }

    @Test
    void writeShouldKeepAMultipartWithoutItsStartBoundary() throws Exception {
        assertBodyKept("Content-Type: multipart/mixed; boundary=\"absent\"\r\n");
    }

    private void assertBodyKept(String contentType) throws Exception {
        byte[] original = ("Return-Path: <>\r\n"
            + "Subject: Delivery status notification\r\n"
            + "X-Note: 8-bit caf\u00e9\r\n"
            + "MIME-Version: 1.0\r\n"
            + contentType
            + "\r\n"
            + BODY).getBytes(StandardCharsets.UTF_8);
        // As James holds a received mail: the source wrapped, copied on write only.
        MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("received", new ByteArrayInputStream(original)));
        message.addHeader("X-Relay-Guard-Decision", "allow");
        MailImpl mail = MailImpl.builder().name("corpus").build();
        mail.setMessageNoCopy(message);
        MailBodies bodies = new MailBodies(directory);
        String id = UUID.randomUUID().toString();

        bodies.write(id, mail);

        String stored;
        try (InputStream in = bodies.source(id).getInputStream()) {
            stored = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(stored).contains("X-Relay-Guard-Decision: allow\r\n", "Subject: Delivery status notification\r\n",
            "X-Note: 8-bit caf\u00e9\r\n", contentType);
        assertThat(stored.substring(stored.indexOf("\r\n\r\n") + 4)).isEqualTo(BODY);
    }
}
