package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.SmtpClient;

class SmtpClientTest {

    private static String dataLines(String message) {
        return new String(SmtpClient.dataLines(message.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1);
    }

    @Test
    void dataLinesShouldTurnEveryKindOfLineEndIntoCrLf() {
        assertThat(dataLines("a\nb\rc\r\nd\n")).isEqualTo("a\r\nb\r\nc\r\nd\r\n");
    }

    @Test
    void dataLinesShouldReadBareCrFilesLineByLine() {
        assertThat(dataLines("Subject: x\r\rbody\r")).isEqualTo("Subject: x\r\n\r\nbody\r\n");
    }

    @Test
    void dataLinesShouldEndAnUnterminatedLastLine() {
        assertThat(dataLines("a\nb")).isEqualTo("a\r\nb\r\n");
    }

    @Test
    void dataLinesShouldDotStuffLinesStartingWithADot() {
        assertThat(dataLines(".\n..x\na.b\n")).isEqualTo("..\r\n...x\r\na.b\r\n");
    }

    @Test
    void dataLinesShouldKeepEightBitBytes() {
        byte[] latin1 = {'a', (byte) 0xE9, (byte) 0x82, '\n'};

        assertThat(SmtpClient.dataLines(latin1)).containsExactly('a', (byte) 0xE9, (byte) 0x82, '\r', '\n');
    }

    @Test
    void dataLinesShouldKeepEmptyLines() {
        assertThat(dataLines("a\n\n\nb\n")).isEqualTo("a\r\n\r\n\r\nb\r\n");
    }
}
