package org.relayguard.smtp.chunking;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BdatCommandTest {
    @Test
    void bdatShouldParseSizeAndLastInAnyCase() {
        assertThat(BdatCommand.parse("BDAT 7\r\n")).hasValueSatisfying(bdat -> {
            assertThat(bdat.size()).isEqualTo(7);
            assertThat(bdat.last()).isFalse();
        });
        assertThat(BdatCommand.parse("bdat 0 last\n")).hasValueSatisfying(bdat -> {
            assertThat(bdat.size()).isZero();
            assertThat(bdat.last()).isTrue();
        });
        assertThat(BdatCommand.parse("Bdat 123456789012345678 LaSt")).map(BdatCommand::size).contains(123456789012345678L);
    }

    @Test
    void bdatShouldRefuseAnythingElse() {
        for (String line : new String[] {"BDAT\r\n", "BDAT \r\n", "BDAT  7\r\n", "BDAT 7 \r\n", "BDAT -1\r\n", "BDAT 7 LAST \r\n",
            "BDAT 7 LASTX\r\n", "BDAT 7 FIRST\r\n", "BDAT 1234567890123456789\r\n", "BDATA 7\r\n", " BDAT 7\r\n", "BDAT 0x10\r\n", "DATA\r\n"}) {
            assertThat(BdatCommand.parse(line)).as(line).isEmpty();
        }
    }
}
