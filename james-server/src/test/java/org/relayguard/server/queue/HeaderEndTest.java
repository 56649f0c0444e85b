package org.relayguard.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.apache.james.server.core.MailHeaders;
import org.junit.jupiter.api.Test;

/** The body starts where javax.mail's header parser would leave the stream, whatever the line endings. */
class HeaderEndTest {
    private static int bodyStartBySkip(byte[] message) throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(message);
        HeaderEnd.skip(in);
        return message.length - in.available();
    }

    /** Where javax.mail's parser stops, on a stream that can look ahead (no byte lost to its pushback). */
    private static int bodyStartByJavaxMail(byte[] message) throws Exception {
        ByteArrayInputStream in = new ByteArrayInputStream(message);
        new MailHeaders(in);
        return message.length - in.available();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void skipShouldStopAtTheFirstByteOfTheBody() throws Exception {
        byte[] message = ascii("Subject: a\r\n folded\r\nFrom: b@contoso.com\r\n\r\nbody\r\n\r\nmore");

        assertThat(bodyStartBySkip(message)).isEqualTo(message.length - "body\r\n\r\nmore".length());
    }

    @Test
    void skipShouldTreatEveryLineEndingAsJavaxMailDoes() throws Exception {
        String[] messages = {
            "", "\r\n", "\n", "\r", "\rbody", "\r\rbody", "\r\r\nbody", "A: b\nC: d\n\nbody", "A: b\r\r\n\r\nbody",
            "A: b\r\rbody", "A: b\r\r\rbody", "A: b\r\n\rX\r\n", "A: b\r\n \r\n\r\nbody", "A: b", "A: b\r\n", "A: b\r\n\r",
            "\u00e9: \u00ff\r\n\r\n\u00e9",
        };
        for (String message : messages) {
            assertThat(bodyStartBySkip(ascii(message))).as(message.replace("\r", "\\r").replace("\n", "\\n"))
                .isEqualTo(bodyStartByJavaxMail(ascii(message)));
        }
    }

    @Test
    void skipShouldAgreeWithJavaxMailOnRandomHeaders() throws Exception {
        Random random = new Random(32);
        byte[] alphabet = ascii("\r\n\r\n \tA:");
        for (int i = 0; i < 20_000; i++) {
            byte[] message = new byte[random.nextInt(24)];
            for (int j = 0; j < message.length; j++) {
                message[j] = alphabet[random.nextInt(alphabet.length)];
            }
            assertThat(bodyStartBySkip(message)).as(new String(message, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n"))
                .isEqualTo(bodyStartByJavaxMail(message));
        }
    }

    @Test
    void aStreamThatCannotLookAheadShouldBeLeftWhereJavaxMailLeavesIt() throws Exception {
        byte[] message = ascii("A: b\r\n\r\nbody");
        InputStream noMark = new FilterInputStream(new ByteArrayInputStream(message)) {
            @Override
            public boolean markSupported() {
                return false;
            }
        };

        HeaderEnd.skip(noMark);

        assertThat(new String(noMark.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("body");
    }
}
