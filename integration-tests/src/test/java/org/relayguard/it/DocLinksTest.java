package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Every relative link of README.md and docs/*.md leads somewhere: to a file of the repository, and
 * with a {@code #anchor} to a heading of that file as GitHub names it. Links to other sites are
 * not followed (no network in the build).
 */
class DocLinksTest {
    static final Path REPOSITORY = Path.of(System.getProperty("basedir", "."), "..").toAbsolutePath().normalize();

    /** {@code [text](target)}, not an image's; the target up to the first space or closing parenthesis. */
    private static final Pattern LINK = Pattern.compile("(?<!!)\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");

    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(REPOSITORY.resolve("README.md"));
        try (Stream<Path> docs = Files.list(REPOSITORY.resolve("docs"))) {
            docs.filter(path -> path.getFileName().toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    @Test
    void everyRelativeLinkOfTheDocumentationResolvesToAFileAndAHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            for (String target : links(Files.readString(page, StandardCharsets.UTF_8))) {
                if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto: ...
                }
                checked++;
                brokenLink(page, target).ifPresent(problem -> broken.add(REPOSITORY.relativize(page) + ": " + target + ": " + problem));
            }
        }

        assertThat(checked).as("relative links found").isGreaterThan(20);
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void aLinkToAMissingFileOrHeadingIsReported() throws IOException {
        Path readme = REPOSITORY.resolve("README.md");

        assertThat(brokenLink(readme, "docs/operator-guide.md#release")).isEmpty();
        assertThat(brokenLink(readme, "docs/no-such-page.md")).hasValueSatisfying(problem -> assertThat(problem).contains("no such file"));
        assertThat(brokenLink(readme, "docs/operator-guide.md#no-such-heading")).hasValueSatisfying(problem -> assertThat(problem).contains("no heading"));
        assertThat(brokenLink(readme, "#set-up-commands")).isEmpty();
    }

    /** GitHub's anchors: lower case, punctuation dropped, each space a hyphen, a repeated heading -1, -2... */
    @Test
    void anchorsAreNamedAsGitHubNamesThem() {
        assertThat(anchors("# Proofpoint step → James\n## Matchers `HeaderNotEquals` and `HeaderNotContains`\n"
            + "## Install into an existing James 3.8.1\n## Malformed MIME and James's memory queue\n"
            + "## Benchmark: the report over 100,000 quarantined mails\n## Tests\n```\n# not a heading\n```\n## Tests\n"))
            .containsExactly("proofpoint-step--james", "matchers-headernotequals-and-headernotcontains",
                "install-into-an-existing-james-381", "malformed-mime-and-jamess-memory-queue",
                "benchmark-the-report-over-100000-quarantined-mails", "tests", "tests-1");
    }

    private static Optional<String> brokenLink(Path page, String target) throws IOException {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? "" : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!resolved.startsWith(REPOSITORY) || !Files.exists(resolved)) {
            return Optional.of("no such file " + resolved);
        }
        if (anchor.isEmpty()) {
            return Optional.empty();
        }
        if (!resolved.getFileName().toString().endsWith(".md")) {
            return Optional.of("an anchor into a file that is not Markdown");
        }
        Set<String> anchors = anchors(Files.readString(resolved, StandardCharsets.UTF_8));
        return anchors.contains(anchor) ? Optional.empty() : Optional.of("no heading '#" + anchor + "' in " + resolved.getFileName() + " (it has " + anchors + ")");
    }

    /** The link targets of a page, outside fenced code blocks and inline code. */
    static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        for (String line : outsideCode(markdown)) {
            Matcher link = LINK.matcher(line.replaceAll("`[^`]*`", "``"));
            while (link.find()) {
                targets.add(link.group(1));
            }
        }
        return targets;
    }

    static Set<String> anchors(String markdown) {
        Map<String, Integer> seen = new HashMap<>();
        Set<String> anchors = new LinkedHashSet<>();
        for (String line : outsideCode(markdown)) {
            Matcher heading = HEADING.matcher(line);
            if (!heading.matches()) {
                continue;
            }
            String slug = slug(heading.group(2));
            int count = seen.merge(slug, 1, Integer::sum);
            anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
        }
        return anchors;
    }

    /** GitHub: the heading's text (markup removed), lower-cased, every character but letters, digits, space, '-' and '_' dropped, spaces to '-'. */
    static String slug(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replace("`", "").replace("*", "");
        return text.toLowerCase(Locale.ROOT)
            .replaceAll("[^\\p{L}\\p{N} _-]", "")
            .replace(' ', '-');
    }

    private static List<String> outsideCode(String markdown) {
        List<String> lines = new ArrayList<>();
        boolean inFence = false;
        for (String line : markdown.lines().collect(Collectors.toList())) {
            if (FENCE.matcher(line).find()) {
                inFence = !inFence;
                continue;
            }
            if (!inFence) {
                lines.add(line);
            }
        }
        return lines;
    }
}
