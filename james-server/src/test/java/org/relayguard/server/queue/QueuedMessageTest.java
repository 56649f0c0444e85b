package org.relayguard.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.mail.internet.MimeMessage;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A queued message is written (to the next hop) with its header bytes as received: raw UTF-8 and
 * Latin-1 bytes, unchanged header or changed, unchanged body or changed.
 */
class QueuedMessageTest {
    /** UTF-8 (RFC 6532) in a display name, an address, a subject; Latin-1 bytes (not UTF-8) in a folded field. */
    private static final byte[] HEADER = concat(
        ("From: Jürgen Müller <jürgen@bücher.example>\r\n"
            + "Subject: Grüße – 日本語\r\n").getBytes(StandardCharsets.UTF_8),
        "X-Comment: caf\u00e9\r\n cr\u00e8me\r\n".getBytes(StandardCharsets.ISO_8859_1));
    private static final byte[] BODY = "MIME-Version: 1.0\r\n\r\nbody line\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String[] JAVAX_MAIL_IGNORES = {"Bcc", "Content-Length"};

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private final List<MimeMessageInputStreamSource> sources = new ArrayList<>();

    @AfterEach
    void disposeSources() {
        sources.forEach(LifecycleUtil::dispose);
    }

    private MimeMessageInputStreamSource source(byte[] bytes) throws Exception {
        MimeMessageInputStreamSource source = MimeMessageInputStreamSource.create("received", new ByteArrayInputStream(bytes));
        sources.add(source);
        return source;
    }

    private static byte[] written(MimeMessage message, String... ignore) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out, ignore);
        return out.toByteArray();
    }

    /** As ISO-8859-1 text, one char per byte: a failure shows the bytes. */
    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Test
    void writeToShouldGiveUtf8AndLatin1HeaderBytesBackAsReceived() throws Exception {
        byte[] received = concat(HEADER, BODY);

        assertThat(text(written(new QueuedMessage(source(received)), JAVAX_MAIL_IGNORES))).isEqualTo(text(received));
        // What this class is for: James's own writer puts a '?' for each byte above 127.
        assertThat(text(written(new MimeMessageWrapper(source(received)), JAVAX_MAIL_IGNORES)))
            .startsWith("From: J??rgen M??ller <j??rgen@b??cher.example>\r\n");
    }

    @Test
    void writeToShouldLeaveOutTheFieldsJavaxMailIgnoresAndKeepTheOthersBytes() throws Exception {
        byte[] received = concat("Bcc: hidden@contoso.com\r\n".getBytes(StandardCharsets.US_ASCII), HEADER, BODY);

        assertThat(text(written(new QueuedMessage(source(received)), JAVAX_MAIL_IGNORES))).isEqualTo(text(concat(HEADER, BODY)));
    }

    @Test
    void writingAgainAfterReadingAFieldShouldGiveTheSameBytesAndAChangeMadeBetweenShouldShow() throws Exception {
        byte[] received = concat("Bcc: hidden@contoso.com\r\n".getBytes(StandardCharsets.US_ASCII), HEADER, BODY);
        QueuedMessage message = new QueuedMessage(source(received));

        byte[] first = written(message, JAVAX_MAIL_IGNORES);
        assertThat(message.getHeader("Subject", null)).isNotNull();
        byte[] second = written(message, JAVAX_MAIL_IGNORES);
        message.setHeader("X-Added", "1");
        byte[] changed = written(message, JAVAX_MAIL_IGNORES);

        assertThat(text(first)).isEqualTo(text(concat(HEADER, BODY)));
        assertThat(text(second)).isEqualTo(text(first));
        // Changed: James's fields brought up to date (Date, Message-ID), the new one, the others' bytes as received.
        assertThat(text(changed)).contains("\r\nX-Added: 1\r\n")
            .endsWith(text(concat(HEADER, "\r\nbody line\r\n".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void writeToShouldKeepTheOtherLinesBytesWhenAMailetChangedAHeader() throws Exception {
        QueuedMessage message = new QueuedMessage(source(concat(HEADER, BODY)));
        message.removeHeader("X-Comment");
        message.addHeader("X-Relay-Guard-Decision", "allow");

        String written = text(written(message, JAVAX_MAIL_IGNORES));

        // javax.mail brings a changed header up to date (Date, Message-ID where missing): the received lines follow as they were.
        assertThat(written).contains(text(("From: Jürgen Müller <jürgen@bücher.example>\r\n"
            + "Subject: Grüße – 日本語\r\n").getBytes(StandardCharsets.UTF_8)))
            .contains("X-Relay-Guard-Decision: allow\r\n")
            .doesNotContain("X-Comment")
            .endsWith("\r\n\r\nbody line\r\n");
    }

    @Test
    void writeToShouldKeepTheHeaderBytesWhenAMailetChangedTheBody() throws Exception {
        QueuedMessage message = new QueuedMessage(source(concat(HEADER, BODY)));
        message.setText("new body\r\n", "US-ASCII");
        message.saveChanges();

        String written = text(written(message, JAVAX_MAIL_IGNORES));

        assertThat(written).contains(text(HEADER)).endsWith("\r\n\r\nnew body\r\n");
    }

    @Test
    void writeToShouldWriteACharBeyondOneByteInUtf8() throws Exception {
        QueuedMessage message = new QueuedMessage(source(concat(HEADER, BODY)));
        message.setHeader("X-Set-By-A-Mailet", "δ");

        assertThat(text(written(message))).contains(text("X-Set-By-A-Mailet: δ\r\n".getBytes(StandardCharsets.UTF_8)));
    }
}
