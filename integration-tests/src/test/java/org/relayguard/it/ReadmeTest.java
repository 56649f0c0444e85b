package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * README.md stays what an operator reads in five minutes: at most 250 lines, and its only shell
 * commands are the two set-up commands, the gateway with the sample configuration and the test
 * command, the latter being the command CI's {@code .ci/run} runs. That command, {@code ./test.sh},
 * runs {@code mvn -B verify} after installing (or naming) exactly the Debian packages README lists.
 */
class ReadmeTest {
    static final Path README = DocLinksTest.REPOSITORY.resolve("README.md");
    static final Path CI = DocLinksTest.REPOSITORY.resolve(".ci/run");
    static final Path TEST_SCRIPT = DocLinksTest.REPOSITORY.resolve("test.sh");
    private static final Pattern README_PACKAGES = Pattern.compile("Debian's `([a-z0-9 \\n-]+)`");
    private static final Pattern SCRIPT_PACKAGE = Pattern.compile("missing\\+=\\(([a-z0-9-]+)\\)");
    private static final Pattern SH_BLOCK = Pattern.compile("(?s)```sh\\n(.*?)```");

    @Test
    void theReadmeHasAtMost250Lines() throws IOException {
        assertThat(Files.readAllLines(README, StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(250);
    }

    @Test
    void theOnlyShellCommandsOfTheReadmeAreTheTwoSetUpCommands() throws IOException {
        assertThat(shellBlocks(Files.readString(README, StandardCharsets.UTF_8)))
            .containsExactly("./run.sh --demo", "./test.sh");
    }

    @Test
    void ciRunsTheReadmesTestCommand() throws IOException {
        String testCommand = shellBlocks(Files.readString(README, StandardCharsets.UTF_8)).get(1);
        List<String> ciLines = Files.readAllLines(CI, StandardCharsets.UTF_8);

        assertThat(ciLines.get(ciLines.size() - 1).trim()).as("the command .ci/run ends with").isEqualTo(testCommand);
    }

    @Test
    void theTestScriptEndsByRunningMavenVerifyWithItsArguments() throws IOException {
        List<String> lines = Files.readAllLines(TEST_SCRIPT, StandardCharsets.UTF_8);

        assertThat(lines.get(lines.size() - 1).trim()).as("the command test.sh ends with").isEqualTo("exec mvn -B verify \"$@\"");
        assertThat(Files.isExecutable(TEST_SCRIPT)).as("test.sh is executable").isTrue();
    }

    @Test
    void theReadmeListsExactlyThePackagesTheTestScriptInstalls() throws IOException {
        Matcher listed = README_PACKAGES.matcher(Files.readString(README, StandardCharsets.UTF_8));
        assertThat(listed.find()).as("README's list of Debian packages (Debian's `…`)").isTrue();
        Set<String> readme = new TreeSet<>(List.of(listed.group(1).trim().split("\\s+")));

        Set<String> script = new TreeSet<>();
        Matcher installed = SCRIPT_PACKAGE.matcher(Files.readString(TEST_SCRIPT, StandardCharsets.UTF_8));
        while (installed.find()) {
            script.add(installed.group(1));
        }

        assertThat(readme).as("the packages README names, against those test.sh checks and installs").isEqualTo(script);
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
