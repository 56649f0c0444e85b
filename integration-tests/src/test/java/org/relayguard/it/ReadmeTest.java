package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * README.md stays what an operator reads in five minutes: at most 250 lines, and its only shell
 * commands are the two set-up commands, the gateway with the sample configuration and the test
 * command, the latter being the command CI's {@code .ci/run} runs.
 */
class ReadmeTest {
    static final Path README = DocLinksTest.REPOSITORY.resolve("README.md");
    static final Path CI = DocLinksTest.REPOSITORY.resolve(".ci/run");
    private static final Pattern SH_BLOCK = Pattern.compile("(?s)```sh\\n(.*?)```");

    @Test
    void theReadmeHasAtMost250Lines() throws IOException {
        assertThat(Files.readAllLines(README, StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(250);
    }

    @Test
    void theOnlyShellCommandsOfTheReadmeAreTheTwoSetUpCommands() throws IOException {
        assertThat(shellBlocks(Files.readString(README, StandardCharsets.UTF_8)))
            .containsExactly("./run.sh --demo", "mvn -B verify");
    }

    @Test
    void ciRunsTheReadmesTestCommand() throws IOException {
        String testCommand = shellBlocks(Files.readString(README, StandardCharsets.UTF_8)).get(1);
        List<String> ciLines = Files.readAllLines(CI, StandardCharsets.UTF_8);

        assertThat(ciLines.get(ciLines.size() - 1).trim()).as("the command .ci/run ends with").isEqualTo(testCommand);
    }

    static List<String> shellBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher block = SH_BLOCK.matcher(markdown);
        while (block.find()) {
            blocks.add(block.group(1).trim());
        }
        return blocks;
    }
}
