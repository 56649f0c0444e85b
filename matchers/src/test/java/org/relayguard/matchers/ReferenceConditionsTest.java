package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.base.GenericMatcher;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.relayguard.core.dns.DnsNameSet;
import org.relayguard.core.dns.DomainSetEntry;
import org.relayguard.core.dns.HostnameSuffix;
import org.relayguard.core.parameters.ConditionLists;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;

/**
 * The condition tables of docs/reference.md are the syntax the matchers accept. For each
 * {@code ### Matcher `X`} (or {@code ### Matchers `X` and `Y`}) section:
 * <ul>
 * <li>every entry of its condition table (first cell, one item in backquotes) is a placeholder
 * ({@code <suffix>}), a keyword of the syntax, or an example that the matcher accepts as its
 * condition in {@code init()}; the section's XML sample is accepted too;</li>
 * <li>every keyword of the syntax in the code (the {@code static final String} constants of the
 * classes that parse the matcher's condition, such as {@code @domainlist} or {@code smarthost})
 * is named in backquotes in that table;</li>
 * <li>every public matcher of this module has a section.</li>
 * </ul>
 * A keyword written in the code as a bare literal rather than a constant is not seen: the parsers
 * keep their keywords in constants.
 */
class ReferenceConditionsTest {
    private static final Path REFERENCE = Path.of(System.getProperty("basedir", "."), "..", "docs", "reference.md").toAbsolutePath().normalize();
    private static final String PACKAGE = "org.relayguard.matchers.";

    /** core's tenants parser: package-private there, its keywords are read by reflection like the others'. */
    private static final Class<?> TENANTS_PARSER = classNamed("org.relayguard.core.tenants.TenantsParser");

    /** The classes that parse each matcher's condition, whose constants are the syntax's keywords. */
    private static final Map<String, List<Class<?>>> CONDITION_PARSERS = ImmutableMap.<String, List<Class<?>>>builder()
        .put("SenderHostnameEndsWith", ImmutableList.of(HostnameSuffix.class, DnsNameSet.class))
        .put("SenderInDomainSet", ImmutableList.of(DomainSetEntry.class))
        .put("HeaderNotEquals", ImmutableList.of(HeaderCondition.class))
        .put("HeaderNotContains", ImmutableList.of(HeaderCondition.class))
        .put("XoorgNotEquals", ImmutableList.of(ConditionLists.class))
        .put("SenderNotOwnedByTenant", ImmutableList.of(TENANTS_PARSER, DomainSetEntry.class))
        .put("FromNotOwnedByTenant", ImmutableList.of(TENANTS_PARSER, DomainSetEntry.class))
        .build();

    private static final Pattern MATCHER_HEADING = Pattern.compile("^###+ Matchers? (.*)$");
    private static final Pattern BACKQUOTED = Pattern.compile("`([^`]+)`");
    private static final Pattern ANY_HEADING = Pattern.compile("^#{1,6} ");
    private static final Pattern SAMPLE_CONDITION = Pattern.compile("match=\"org\\.relayguard\\.matchers\\.(\\w+)=([^\"]*)\"");

    /** One section: its matchers, the entries of its condition table, everything in backquotes in that table, its samples' conditions. */
    static final class Section {
        final String heading;
        final List<String> matchers;
        final List<String> entries;
        final Set<String> backquoted;
        final Map<String, String> sampleConditions;

        Section(String heading, List<String> matchers, List<String> entries, Set<String> backquoted, Map<String, String> sampleConditions) {
            this.heading = heading;
            this.matchers = matchers;
            this.entries = entries;
            this.backquoted = backquoted;
            this.sampleConditions = sampleConditions;
        }

        @Override
        public String toString() {
            return String.join(", ", matchers);
        }
    }

    static Stream<Section> sections() throws IOException {
        return sections(Files.readString(REFERENCE, StandardCharsets.UTF_8)).stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sections")
    void everyEntryOfTheConditionTableIsAcceptedByTheMatcher(Section section) {
        assertThat(section.entries).as("entries of the condition table under '%s'", section.heading).isNotEmpty();
        List<String> problems = new ArrayList<>();
        for (String matcher : section.matchers) {
            Set<String> keywords = keywords(matcher);
            for (String entry : section.entries) {
                if (entry.contains("<") || keywords.contains(entry)) {
                    continue;
                }
                refusal(matcher, entry).ifPresent(problems::add);
            }
        }
        section.sampleConditions.forEach((matcher, condition) -> refusal(matcher, condition).ifPresent(problems::add));

        assertThat(problems).as("entries of %s that the matcher refuses", REFERENCE).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sections")
    void everyKeywordOfTheConditionSyntaxIsInTheTable(Section section) {
        for (String matcher : section.matchers) {
            assertThat(section.backquoted)
                .as("keywords of %s's condition in its table under '%s'", matcher, section.heading)
                .containsAll(keywords(matcher));
        }
    }

    @Test
    void everyMatcherOfRelayGuardHasASection() throws Exception {
        List<String> documented = sections(Files.readString(REFERENCE, StandardCharsets.UTF_8)).stream()
            .flatMap(section -> section.matchers.stream())
            .collect(Collectors.toList());

        assertThat(documented).containsExactlyInAnyOrderElementsOf(matchersOfThisModule());
        assertThat(CONDITION_PARSERS.keySet()).containsExactlyInAnyOrderElementsOf(matchersOfThisModule());
    }

    /** The checks can fail: an entry the matcher refuses is reported, and the keywords are found. */
    @Test
    void anEntryTheMatcherRefusesIsReportedAndKeywordsAreFound() {
        assertThat(refusal("SenderInDomainSet", "@domains")).hasValueSatisfying(problem -> assertThat(problem).contains("@domains"));
        assertThat(refusal("SenderInDomainSet", "@domainlist")).isEmpty();
        assertThat(refusal("SenderHostnameEndsWith", "*.example.com")).isPresent();
        assertThat(keywords("SenderNotOwnedByTenant")).contains("orgs", "domains", "smarthost", "@domainlist");
        assertThat(keywords("SenderInDomainSet")).containsExactly("@domainlist");
    }

    private static Optional<String> refusal(String matcherName, String condition) {
        try {
            GenericMatcher matcher = instantiate(matcherName);
            matcher.init(FakeMatcherConfig.builder().matcherName(matcherName).condition(condition).build());
            return Optional.empty();
        } catch (Exception e) {
            return Optional.of(matcherName + "=" + condition + ": " + e.getMessage());
        }
    }

    private static Class<?> classNamed(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static GenericMatcher instantiate(String matcherName) throws ReflectiveOperationException {
        Class<?> type = Class.forName(PACKAGE + matcherName);
        try {
            return (GenericMatcher) type.getConstructor(DomainList.class).newInstance(mock(DomainList.class));
        } catch (NoSuchMethodException e) {
            return (GenericMatcher) type.getConstructor().newInstance();
        }
    }

    /** The {@code static final String} constants of the classes that parse this matcher's condition. */
    static Set<String> keywords(String matcher) {
        assertThat(CONDITION_PARSERS).as("the classes that parse %s's condition", matcher).containsKey(matcher);
        Set<String> keywords = new LinkedHashSet<>();
        for (Class<?> parser : CONDITION_PARSERS.get(matcher)) {
            for (Field field : parser.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && field.getType() == String.class) {
                    try {
                        field.setAccessible(true);
                        keywords.add((String) field.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return keywords;
    }

    static List<Section> sections(String markdown) {
        List<Section> sections = new ArrayList<>();
        List<String> lines = markdown.lines().collect(Collectors.toList());
        for (int i = 0; i < lines.size(); i++) {
            Matcher heading = MATCHER_HEADING.matcher(lines.get(i));
            if (!heading.matches()) {
                continue;
            }
            List<String> matchers = new ArrayList<>();
            Matcher name = BACKQUOTED.matcher(heading.group(1));
            while (name.find()) {
                matchers.add(name.group(1));
            }
            int end = i + 1;
            while (end < lines.size() && !ANY_HEADING.matcher(lines.get(end)).find()) {
                end++;
            }
            List<String> body = lines.subList(i + 1, end);
            List<String> table = conditionTable(body);
            List<String> entries = new ArrayList<>();
            Set<String> backquoted = new LinkedHashSet<>();
            for (String row : table) {
                Matcher entry = Pattern.compile("^`([^`]+)`$").matcher(firstCell(row));
                if (entry.matches()) {
                    entries.add(entry.group(1).replace("\\|", "|"));
                }
                Matcher quoted = BACKQUOTED.matcher(row);
                while (quoted.find()) {
                    backquoted.add(quoted.group(1).replace("\\|", "|"));
                }
            }
            Map<String, String> samples = new LinkedHashMap<>();
            Matcher sample = SAMPLE_CONDITION.matcher(String.join("\n", body));
            while (sample.find()) {
                samples.put(sample.group(1), sample.group(2));
            }
            sections.add(new Section(lines.get(i), matchers, entries, backquoted, samples));
        }
        return sections;
    }

    /** The rows of the first table whose first header cell starts with "Condition". */
    private static List<String> conditionTable(List<String> lines) {
        List<String> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : lines) {
            if (!inTable) {
                inTable = line.startsWith("|") && firstCell(line).startsWith("Condition");
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            if (!line.startsWith("| ---")) {
                rows.add(line);
            }
        }
        return rows;
    }

    private static String firstCell(String row) {
        return row.substring(1).split("(?<!\\\\)\\|", 2)[0].trim();
    }

    private static Set<String> matchersOfThisModule() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(SenderInDomainSet.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> matchers = new LinkedHashSet<>();
        try (Stream<Path> files = Files.list(classes.resolve(PACKAGE.replace('.', '/')))) {
            for (Path file : files.sorted().collect(Collectors.toList())) {
                String fileName = file.getFileName().toString();
                if (!fileName.endsWith(".class") || fileName.contains("$")) {
                    continue;
                }
                Class<?> type = Class.forName(PACKAGE + fileName.substring(0, fileName.length() - ".class".length()));
                if (org.apache.mailet.Matcher.class.isAssignableFrom(type) && Modifier.isPublic(type.getModifiers())
                    && !Modifier.isAbstract(type.getModifiers())) {
                    matchers.add(type.getSimpleName());
                }
            }
        }
        return matchers;
    }
}
