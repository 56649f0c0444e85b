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

    /** javax.mail would wrap the lines at 76 characters: a DKIM signature over the body would break. */
    @Test
    void writeShouldKeepABase64BodyWrappedAsReceived() throws Exception {
        String base64 = "SGVsbG8sIHRoaXMgaXMgYSBib2R5IHdyYXBwZWQg\r\n"
            + "YXQgZm9ydHkgY2hhcmFjdGVycyBwZXIgbGluZS4=\r\n";
        String received = "Subject: signed\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + base64;
        MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("received",
            new ByteArrayInputStream(received.getBytes(StandardCharsets.US_ASCII))));
        message.addHeader("X-Relay-Guard-Decision", "allow");

        String stored = store(message);

        assertThat(stored).contains("Subject: signed\r\n", "X-Relay-Guard-Decision: allow\r\n");
        assertThat(stored.substring(stored.indexOf("\r\n\r\n") + 4)).isEqualTo(base64);
    }

    @Test
    void writeShouldCopyAnUnchangedMessageAsReceived() throws Exception {
        String received = "Subject: as is\nX-Odd:   spacing kept\n\nbody with bare LF\n";
        MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("received",
            new ByteArrayInputStream(received.getBytes(StandardCharsets.US_ASCII))));
        message.getHeader("Subject");

        assertThat(store(message)).isEqualTo(received);
    }

    @Test
    void writeShouldStoreABodyAMailetChanged() throws Exception {
        MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("received",
            new ByteArrayInputStream("Subject: s\r\nContent-Type: text/plain\r\n\r\nold body\r\n".getBytes(StandardCharsets.US_ASCII))));
        message.setText("new body");
        message.saveChanges();

        assertThat(store(message)).contains("Subject: s\r\n").endsWith("\r\n\r\nnew body");
    }

    @Test
    void storeShouldKeepASmallMessageInTheQueueEntryAndALargeOneInAFile() throws Exception {
        MailBodies bodies = new MailBodies(directory);
        String small = "Subject: small\r\n\r\nbody\r\n";
        String large = "Subject: large\r\n\r\n" + "x".repeat(MailBodies.INLINE_LIMIT) + "\r\n";

        MailBodies.Body inEntry = bodies.store(mailOf(small));
        MailBodies.Body inFile = bodies.store(mailOf(large));

        assertThat(read(inEntry.source())).isEqualTo(small);
        assertThat(read(inFile.source())).isEqualTo(large);
        assertThat(java.nio.file.Files.list(directory)).as("only the large message has a file").hasSize(1);
        inFile.delete();
        assertThat(inFile.exists()).isFalse();
        assertThat(java.nio.file.Files.list(directory)).isEmpty();
    }

    @Test
    void aMessageReadFromItsQueueEntryShouldBeStoredAgainWithItsBodyAsReceivedChangedHeaderOrNot() throws Exception {
        MailBodies bodies = new MailBodies(directory);
        String received = "Subject: s\r\nX-Other: a b\r\n\r\nbody\r\r\n\r\nmore\r\n";
        MailBodies.Body inEntry = bodies.store(mailOf(received));

        MailImpl unchanged = MailImpl.builder().name("again").build();
        unchanged.setMessageNoCopy(new QueuedMessage(inEntry.source()));
        MailImpl changed = MailImpl.builder().name("changed").build();
        changed.setMessageNoCopy(new QueuedMessage(inEntry.source()));
        changed.getMessage().addHeader("X-Added", "1");

        assertThat(read(bodies.store(unchanged).source())).isEqualTo(received);
        assertThat(read(bodies.store(changed).source()))
            .isEqualTo("X-Added: 1\r\nSubject: s\r\nX-Other: a b\r\n\r\nbody\r\r\n\r\nmore\r\n");
    }

    private static MailImpl mailOf(String received) throws Exception {
        MailImpl mail = MailImpl.builder().name("stored").build();
        mail.setMessageNoCopy(new MimeMessageWrapper(MimeMessageInputStreamSource.create("received",
            new ByteArrayInputStream(received.getBytes(StandardCharsets.ISO_8859_1)))));
        return mail;
    }

    private static String read(org.apache.james.server.core.MimeMessageSource source) throws Exception {
        try (InputStream in = source.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private String store(MimeMessageWrapper message) throws Exception {
        MailImpl mail = MailImpl.builder().name("stored").build();
        mail.setMessageNoCopy(message);
        MailBodies bodies = new MailBodies(directory);
        String id = UUID.randomUUID().toString();
        bodies.write(id, mail);
        try (InputStream in = bodies.source(id).getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
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
