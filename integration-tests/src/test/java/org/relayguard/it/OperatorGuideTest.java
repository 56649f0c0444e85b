package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;

/**
 * Every shell command of docs/operator-guide.md runs against a real Relay Guard server: the
 * {@code sh} blocks are read from the Markdown and run in order with bash, so that a renamed
 * route, processor or parameter breaks the build rather than the operator.
 *
 * <p>The gateway is the hardened profile in audit mode, as the guide's audit phase has it, with
 * two next hops and {@value #DENIED_MAILS} mails of a foreign tenant in its quarantine. The
 * substitutions, as the guide's introduction states them: webadmin's port for {@code 8000};
 * {@code KEY}, a quarantined mail's key, a different one per block; {@code TASK_ID}, the
 * {@code taskId} the previous block printed; {@code curl} with {@code --fail-with-body}; {@code TOKEN}
 * in the environment, a token of the shipped {@code bin/relayguard-token}, as the reader exports it. Each block
 * runs with {@code bash -euo pipefail} in the James root. A block after
 * {@code <!-- not run: reason -->} is skipped and counted: their number is {@value #NOT_RUN_BLOCKS}.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorGuideTest {
    static final Path GUIDE = DocLinksTest.REPOSITORY.resolve("docs/operator-guide.md");
    /** Blocks the guide marks as not run (building the project, starting the gateway, systemd, asking Microsoft's web service); a new one must be counted here. */
    static final int NOT_RUN_BLOCKS = 4;
    static final int DENIED_MAILS = 4;
    static final String DOCUMENTED_WEBADMIN = "http://127.0.0.1:8000";
    /** Where the guide installs the server distribution; the test installs it in a new directory under /tmp. */
    static final String DOCUMENTED_INSTALL = "/opt/relayguard";
    /** The build tree's target directory of the distribution archive, as the guide names it. */
    static final String DOCUMENTED_ARCHIVE_DIRECTORY = "james-server/target/";

    private static final Pattern FENCE_OPEN = Pattern.compile("^( *)```(\\S*)\\s*$");
    private static final Pattern NOT_RUN = Pattern.compile("^\\s*<!--\\s*not run:\\s*(.+?)\\s*-->\\s*$");
    private static final Pattern TASK_ID = Pattern.compile("\"taskId\"\\s*:\\s*\"([^\"]+)\"");
    /** Ahead of every block: HTTP errors fail curl, as they must fail the test. */
    private static final String PRELUDE = "set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n";

    private NextHops hops;
    private JamesServer james;
    private Path install;
    private String token;

    @BeforeAll
    void startGatewayWithAQuarantine() throws Exception {
        hops = NextHops.start();
        install = Files.createTempDirectory(Path.of("/tmp"), "relayguard-install-");
        Files.delete(install);
        james = JamesServer.builder()
            .enforce(false)
            .nextHops(hops)
            .start();
        token = james.tokenFromDistribution();
        for (int i = 0; i < DENIED_MAILS; i++) {
            assertThat(Scenario.FOREIGN_SENDER_FOREIGN_ORG.sendTo(james).code).isEqualTo(250);
        }
        Outcomes outcomes = Outcomes.await(james, hops, DENIED_MAILS, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
        assertThat(outcomes.quarantined(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name())).isEqualTo(DENIED_MAILS);
    }

    @AfterAll
    void stopGateway() throws Exception {
        if (james != null) {
            james.close();
        }
        if (hops != null) {
            hops.close();
        }
        if (install != null) {
            new ProcessBuilder("rm", "-rf", install.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void everyCommandOfTheOperatorGuideRunsAgainstARealGateway() throws Exception {
        List<Block> blocks = shellBlocks(Files.readString(GUIDE, StandardCharsets.UTF_8));
        List<Block> notRun = blocks.stream().filter(block -> block.notRunReason.isPresent()).collect(Collectors.toList());
        List<Block> runnable = blocks.stream().filter(block -> block.notRunReason.isEmpty()).collect(Collectors.toList());
        assertThat(notRun).as("blocks marked <!-- not run: ... --> in %s", GUIDE).hasSize(NOT_RUN_BLOCKS);
        assertThat(runnable).as("blocks to run").hasSizeGreaterThanOrEqualTo(10);
        List<String> keysBefore = james.webAdmin().mailKeys(JamesServer.QUARANTINE);
        Deque<String> keys = new ArrayDeque<>(keysBefore);

        String previousOutput = "";
        List<String> ran = new ArrayList<>();
        for (Block block : runnable) {
            String script = substitute(block, james.webAdminPort(), keys, previousOutput)
                .replace(DOCUMENTED_INSTALL, install.toString())
                .replace(DOCUMENTED_ARCHIVE_DIRECTORY, JamesServer.defaultServerDir().getParent() + "/");
            Run run = bash(script, james.root());
            assertThat(run.exitCode)
                .as("%s line %d:%n%s%n--- output ---%n%s", GUIDE.getFileName(), block.line, script, run.output)
                .isZero();
            assertThat(run.output).as("block of line %d: a task that failed", block.line).doesNotContain("\"status\":\"failed\"");
            ran.add(block.text);
            previousOutput = run.output;
        }

        // What the operator checks afterwards: the commands did what the guide says they do.
        assertThat(ran).as("the guide's commands that ran").anySatisfy(text -> assertThat(text).contains("processor=m365_release"));
        List<String> keysAfter = james.webAdmin().mailKeys(JamesServer.QUARANTINE);
        assertThat(keysAfter).as("the quarantine after one delete and one release").hasSize(DENIED_MAILS - 2);
        Outcomes afterRelease = Outcomes.await(james, hops, DENIED_MAILS + 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
        assertThat(afterRelease.relayed(Scenario.FOREIGN_SENDER_FOREIGN_ORG.name()))
            .as("relayed in audit mode, plus the released copy").isEqualTo(DENIED_MAILS + 1);
        assertThat(afterRelease.errorRepositorySize()).as("mails in the error repository").isZero();
        assertThat(Files.readString(james.decisionLog(), StandardCharsets.UTF_8)).contains("decision=release");
        assertThat(james.webAdmin().domains()).contains("fabrikam.com");
        // The install section: the distribution in place, the server's user owning what it writes, the settings appended.
        assertThat(install.resolve("bin/relayguard")).isExecutable();
        assertThat(Files.getOwner(install).getName()).isEqualTo("relayguard");
        assertThat(Files.getOwner(install.resolve("conf/tls")).getName()).isEqualTo("relayguard");
        assertThat(Files.getOwner(install.resolve("lib")).getName()).isEqualTo("root");
        assertThat(Files.readString(install.resolve("conf/relayguard.env"))).contains("RELAYGUARD_SMTP_BIND=0.0.0.0:25");
    }

    /** The mechanism can fail: a renamed route and a misspelt query parameter fail their block. */
    @Test
    void aCommandWithARenamedRouteOrParameterFails() throws Exception {
        Block renamedRoute = new Block(1, "curl -s -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:8000/relayguard/quarantines/var%2Fmail%2Fm365-relaydeny/report'\n", Optional.empty());
        Block misspeltParameter = new Block(2, "curl -s -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:8000/relayguard/quarantine/var%2Fmail%2Fm365-relaydeny/report?whatif=fabrikam.com'\n", Optional.empty());
        Block right = new Block(3, "curl -s -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:8000/relayguard/quarantine/var%2Fmail%2Fm365-relaydeny/report?whatIf=fabrikam.com'\n", Optional.empty());

        assertThat(bash(substitute(renamedRoute, james.webAdminPort(), new ArrayDeque<>(), ""), james.root()).exitCode).isNotZero();
        Run misspelt = bash(substitute(misspeltParameter, james.webAdminPort(), new ArrayDeque<>(), ""), james.root());
        assertThat(misspelt.exitCode).isNotZero();
        assertThat(misspelt.output).contains("whatif");
        assertThat(bash(substitute(right, james.webAdminPort(), new ArrayDeque<>(), ""), james.root()).exitCode).isZero();
        assertThat(bash(substitute(right, james.webAdminPort(), new ArrayDeque<>(), ""), james.root(), Optional.empty()).exitCode)
            .as("the same command without a token").isNotZero();
    }

    /** One {@code sh} block of the guide: its first line, its text without the list indentation, and whether it is marked not run. */
    static final class Block {
        final int line;
        final String text;
        final Optional<String> notRunReason;

        Block(int line, String text, Optional<String> notRunReason) {
            this.line = line;
            this.text = text;
            this.notRunReason = notRunReason;
        }
    }

    static List<Block> shellBlocks(String markdown) {
        List<String> lines = markdown.lines().collect(Collectors.toList());
        List<Block> blocks = new ArrayList<>();
        Optional<String> pendingNotRun = Optional.empty();
        for (int i = 0; i < lines.size(); i++) {
            Matcher notRun = NOT_RUN.matcher(lines.get(i));
            if (notRun.matches()) {
                pendingNotRun = Optional.of(notRun.group(1));
                continue;
            }
            Matcher open = FENCE_OPEN.matcher(lines.get(i));
            if (!open.matches()) {
                if (!lines.get(i).isBlank()) {
                    pendingNotRun = Optional.empty();
                }
                continue;
            }
            String indent = open.group(1);
            StringBuilder text = new StringBuilder();
            int start = i + 1;
            for (i = i + 1; i < lines.size() && !lines.get(i).trim().equals("```"); i++) {
                String line = lines.get(i);
                text.append(line.startsWith(indent) ? line.substring(indent.length()) : line).append('\n');
            }
            if (open.group(2).equals("sh")) {
                blocks.add(new Block(start, text.toString(), pendingNotRun));
            }
            pendingNotRun = Optional.empty();
        }
        return blocks;
    }

    static String substitute(Block block, int webAdminPort, Deque<String> keys, String previousOutput) {
        String script = block.text.replace(DOCUMENTED_WEBADMIN, "http://127.0.0.1:" + webAdminPort);
        assertThat(script).as("block of line %d names webadmin only as %s", block.line, DOCUMENTED_WEBADMIN).doesNotContain(":8000");
        if (script.matches("(?s).*\\bKEY\\b.*")) {
            assertThat(keys).as("a quarantined mail left for the block of line %d", block.line).isNotEmpty();
            script = script.replaceAll("\\bKEY\\b", Matcher.quoteReplacement(keys.removeFirst()));
        }
        if (script.contains("TASK_ID")) {
            Matcher taskId = TASK_ID.matcher(previousOutput);
            assertThat(taskId.find()).as("a taskId printed by the block before line %d: %s", block.line, previousOutput).isTrue();
            script = script.replace("TASK_ID", taskId.group(1));
        }
        return PRELUDE + script;
    }

    static final class Run {
        final int exitCode;
        final String output;

        Run(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    /** Runs a block as the guide's reader does, with {@code TOKEN} set to a token of the shipped {@code bin/relayguard-token}. */
    Run bash(String script, Path directory) throws IOException, InterruptedException {
        return bash(script, directory, Optional.of(token));
    }

    static Run bash(String script, Path directory, Optional<String> token) throws IOException, InterruptedException {
        Path output = Files.createTempFile("operator-guide-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder("bash", "-c", script)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
            builder.environment().remove("TOKEN");
            token.ifPresent(value -> builder.environment().put("TOKEN", value));
            Process process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                return new Run(-1, "timed out after 120 s\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
