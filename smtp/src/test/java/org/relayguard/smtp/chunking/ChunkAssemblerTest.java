package org.relayguard.smtp.chunking;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ChunkAssemblerTest {
    private final List<String> lines = new ArrayList<>();
    private final ChunkAssembler assembler = new ChunkAssembler(line -> lines.add(new String(line, StandardCharsets.ISO_8859_1)), 100);

    private void chunk(String bytes) {
        byte[] data = bytes.getBytes(StandardCharsets.ISO_8859_1);
        assembler.accept(data, 0, data.length);
    }

    @Test
    void assemblerShouldJoinAChunkEndingMidLineAndMidCrlf() {
        chunk("Subject: a\r");
        chunk("\nbo");
        chunk("dy\r\n");
        assembler.finish();
        assertThat(lines).containsExactly("Subject: a\r\n", "body\r\n", ".\r\n");
    }

    @Test
    void assemblerShouldTurnABareLfIntoCrlfAndEndTheLastLine() {
        chunk("one\ntwo\r\nthree");
        assembler.finish();
        assertThat(lines).containsExactly("one\r\n", "two\r\n", "three\r\n", ".\r\n");
    }

    @Test
    void assemblerShouldDotStuffSoThatNoLineEndsTheData() {
        chunk("a\r\n.\r\n.\n..b\r\n.");
        assembler.finish();
        assertThat(lines).containsExactly("a\r\n", "..\r\n", "..\r\n", "...b\r\n", "..\r\n", ".\r\n");
    }

    @Test
    void assemblerShouldKeepAByteForByteMailAsItIs() {
        String mail = "From: a@b\r\n\r\nbody \u00e9\r\n\r\nend\r\n";
        for (char c : mail.toCharArray()) {
            chunk(String.valueOf(c));
        }
        assembler.finish();
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        lines.subList(0, lines.size() - 1).forEach(line -> joined.writeBytes(line.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(joined.toString(StandardCharsets.ISO_8859_1)).isEqualTo(mail);
        assertThat(lines.get(lines.size() - 1)).isEqualTo(".\r\n");
    }

    @Test
    void assemblerShouldKeepALoneCrInsideALine() {
        chunk("a\rb\r\n");
        assembler.finish();
        assertThat(lines).containsExactly("a\rb\r\n", ".\r\n");
    }

    @Test
    void assemblerShouldMarkAMessageWithATooLongLineAndEmitNoEnd() {
        chunk("short\r\n" + "x".repeat(60));
        chunk("x".repeat(60) + "\r\nafter\r\n");
        assembler.finish();
        assertThat(assembler.tooLong()).isTrue();
        assertThat(lines).containsExactly("short\r\n");
    }

    @Test
    void assemblerShouldEndAnEmptyMessageWithTheDotOnly() {
        assembler.finish();
        assertThat(lines).containsExactly(".\r\n");
        assertThat(assembler.tooLong()).isFalse();
    }
}
