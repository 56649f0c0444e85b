package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The corpus in the repository is still the corpus CorpusTest means: its line ends are the point of
 * the {@code mac} (bare CR) and {@code dos} (CRLF) directories, and a checkout or build that
 * converted them (git's {@code text} handling, Maven resource copying) would leave CorpusTest sending
 * LF files three times over. Fast: it reads the files, no James.
 */
class CorpusFilesTest {
    private static final Path MAILDIR = Path.of(System.getProperty(CorpusTest.CORPUS_PROPERTY, "corpus/sisimai-set-of-emails"))
        .resolve("maildir");

    @Test
    void theLicenceAndReadmeAreBesideTheMessages() {
        assertThat(MAILDIR.resolveSibling("LICENSE")).isRegularFile();
        assertThat(MAILDIR.resolveSibling("README.md")).isRegularFile();
    }

    @Test
    void everyMacFileEndsItsLinesWithABareCr() throws IOException {
        for (Path file : files("mac")) {
            byte[] raw = Files.readAllBytes(file);
            assertThat(count(raw, '\r')).as("CRs in %s", file).isPositive();
            assertThat(count(raw, '\n')).as("LFs in %s", file).isZero();
        }
    }

    @Test
    void everyDosFileEndsItsLinesWithCrLf() throws IOException {
        for (Path file : files("dos")) {
            byte[] raw = Files.readAllBytes(file);
            assertThat(count(raw, '\n')).as("LFs in %s", file).isPositive();
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == '\n') {
                    assertThat(i > 0 && raw[i - 1] == '\r').as("LF at byte %d of %s follows a CR", i, file).isTrue();
                }
            }
        }
    }

    private static List<Path> files(String directory) throws IOException {
        try (Stream<Path> files = Files.list(MAILDIR.resolve(directory))) {
            List<Path> list = files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
            assertThat(list).as("files in " + directory).hasSize(80);
            return list;
        }
    }

    private static int count(byte[] raw, char c) {
        int n = 0;
        for (byte b : raw) {
            if (b == c) {
                n++;
            }
        }
        return n;
    }
}
