package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.mailet.Mailet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.relayguard.mailets.MailetParameterCheck.ConfiguredMailet;

/**
 * The parameter tables of docs/reference.md are what the mailets read: each {@code ### Mailet `X`}
 * section's table names exactly the parameters mailet X asks for, no more, no fewer.
 *
 * <p>What a mailet reads is recorded as {@link ShippedMailetParametersTest} records it
 * ({@link MailetParameterCheck}): the mailet is initialised with the section's own XML sample (its
 * entities, such as {@code &tenants;}, taken from the shipped hardened file) and every
 * {@code getInitParameter} name is noted, configured or not. {@code TenantDelivery} hands every
 * other parameter to James's {@code RemoteDelivery}, and {@code PooledDelivery} reads RemoteDelivery's
 * with James's own configuration class: what RemoteDelivery reads is left out, and the table says so
 * in a row of its own. A table row counts when its first cell is one name in
 * backquotes.</p>
 */
class ReferenceParametersTest {
    private static final Path REPOSITORY = Path.of(System.getProperty("basedir", "."), "..").toAbsolutePath().normalize();
    private static final Path REFERENCE = REPOSITORY.resolve("docs/reference.md");
    /** The hardened profile's own part, whose DOCTYPE the shipped conf/mailetcontainer.xml has. */
    private static final Path HARDENED = REPOSITORY.resolve("james-conf/src/main/mailetcontainer/hardened.xml");
    private static final String PACKAGE = "org.relayguard.mailets.";

    private static final Pattern MAILET_HEADING = Pattern.compile("^###+ Mailet `(\\w+)`\\s*$");
    private static final Pattern ANY_HEADING = Pattern.compile("^#{1,6} ");
    private static final Pattern XML_SAMPLE = Pattern.compile("(?s)```xml\\n(.*?)```");
    private static final Pattern ONE_NAME = Pattern.compile("^`([^`\\s]+)`$");
    private static final Pattern DOCTYPE = Pattern.compile("(?s)<!DOCTYPE\\s+\\w+\\s*\\[.*?\\]>");

    /** One {@code ### Mailet `X`} section: the mailet, its XML sample, the names of its parameter table. */
    static final class Section {
        final String mailet;
        final String xmlSample;
        final List<String> tableNames;

        Section(String mailet, String xmlSample, List<String> tableNames) {
            this.mailet = mailet;
            this.xmlSample = xmlSample;
            this.tableNames = tableNames;
        }

        @Override
        public String toString() {
            return mailet;
        }
    }

    static Stream<Section> sections() throws IOException {
        return sections(Files.readString(REFERENCE, StandardCharsets.UTF_8)).values().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sections")
    void theReferenceTableNamesExactlyTheParametersTheMailetReads(Section section) throws Exception {
        assertThat(section.tableNames).as("parameters in the table of mailet %s", section.mailet).isNotEmpty();

        assertThat(section.tableNames)
            .as("the table of mailet %s in %s against what the mailet reads", section.mailet, REFERENCE)
            .containsExactlyInAnyOrderElementsOf(readByTheMailet(section));
    }

    /** A mailet of this module without a section would have no table to check. */
    @Test
    void everyMailetOfRelayGuardHasASection() throws Exception {
        Set<String> documented = sections(Files.readString(REFERENCE, StandardCharsets.UTF_8)).keySet();

        assertThat(documented).containsExactlyInAnyOrderElementsOf(mailetsOfThisModule());
    }

    /** The check can fail: a table missing a parameter, and a table naming one the mailet never reads. */
    @Test
    void aMissingOrUnknownParameterIsSeen() throws Exception {
        Section real = sections(Files.readString(REFERENCE, StandardCharsets.UTF_8)).get("LogDecision");
        List<String> missingTenants = new ArrayList<>(real.tableNames);
        missingTenants.remove("tenants");
        List<String> withUnknown = new ArrayList<>(real.tableNames);
        withUnknown.add("allowedOrg");

        Set<String> read = readByTheMailet(real);
        assertThat(read).contains("tenants").doesNotContain("allowedOrg");
        assertThat(missingTenants).doesNotContainAnyElementsOf(Set.of("tenants"));
        assertThat(Set.copyOf(missingTenants)).isNotEqualTo(read);
        assertThat(Set.copyOf(withUnknown)).isNotEqualTo(read);
        assertThat(Set.copyOf(real.tableNames)).isEqualTo(read);
    }

    private static Set<String> readByTheMailet(Section section) throws Exception {
        String doctype = doctype();
        List<ConfiguredMailet> mailets = MailetParameterCheck.parse("docs/reference.md, mailet " + section.mailet,
            doctype + "<processor state=\"reference\">" + section.xmlSample + "</processor>");
        assertThat(mailets).as("the XML sample of mailet %s", section.mailet).hasSize(1);
        ConfiguredMailet sample = mailets.get(0);
        assertThat(sample.className).isEqualTo(PACKAGE + section.mailet);

        Set<String> read = new LinkedHashSet<>(MailetParameterCheck.readParameters(sample));
        read.removeAll(MailetParameterCheck.READ_BY_THE_CONTAINER);
        if (section.mailet.equals(TenantDelivery.NAME)) {
            Map<String, String> handedOn = new LinkedHashMap<>(sample.parameters);
            handedOn.remove(TenantDelivery.TENANTS);
            handedOn.put("gateway", "smarthost.example");
            read.removeAll(MailetParameterCheck.readParameters(new ConfiguredMailet("RemoteDelivery", "RemoteDelivery", handedOn)));
        }
        if (section.mailet.equals(PooledDelivery.NAME) || section.mailet.equals(InternetDelivery.NAME)) {
            // PooledDelivery reads RemoteDelivery's parameters with James's own configuration class;
            // InternetDelivery hands them to PooledDelivery or RemoteDelivery.
            read.removeAll(MailetParameterCheck.readParameters(new ConfiguredMailet("RemoteDelivery", "RemoteDelivery", sample.parameters)));
        }
        return read;
    }

    /** The settings block of the shipped hardened file, so that a sample may use {@code &tenants;} as the file does. */
    private static String doctype() throws IOException {
        Matcher doctype = DOCTYPE.matcher(Files.readString(HARDENED, StandardCharsets.UTF_8));
        assertThat(doctype.find()).as("the DOCTYPE of %s", HARDENED).isTrue();
        return doctype.group();
    }

    static Map<String, Section> sections(String markdown) {
        Map<String, Section> sections = new LinkedHashMap<>();
        List<String> lines = markdown.lines().collect(Collectors.toList());
        for (int i = 0; i < lines.size(); i++) {
            Matcher heading = MAILET_HEADING.matcher(lines.get(i));
            if (!heading.matches()) {
                continue;
            }
            int end = i + 1;
            while (end < lines.size() && !ANY_HEADING.matcher(lines.get(end)).find()) {
                end++;
            }
            List<String> body = lines.subList(i + 1, end);
            Matcher sample = XML_SAMPLE.matcher(String.join("\n", body) + "\n");
            assertThat(sample.find()).as("an xml sample under '%s'", lines.get(i)).isTrue();
            sections.put(heading.group(1), new Section(heading.group(1), sample.group(1), tableNames(body, "Parameter")));
        }
        return sections;
    }

    /** The names of the first table whose first header cell is {@code header}: rows whose first cell is one name in backquotes. */
    static List<String> tableNames(List<String> lines, String header) {
        List<String> names = new ArrayList<>();
        boolean inTable = false;
        for (String line : lines) {
            if (!inTable) {
                inTable = line.startsWith("|") && firstCell(line).equals(header);
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            Matcher name = ONE_NAME.matcher(firstCell(line));
            if (name.matches()) {
                names.add(name.group(1));
            }
        }
        return names;
    }

    private static String firstCell(String row) {
        String[] cells = row.substring(1).split("(?<!\\\\)\\|", 2);
        return cells[0].trim();
    }

    /** The public, concrete mailets compiled from this module's sources. */
    private static Set<String> mailetsOfThisModule() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(TenantDelivery.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> mailets = new LinkedHashSet<>();
        try (Stream<Path> files = Files.list(classes.resolve(PACKAGE.replace('.', '/')))) {
            for (Path file : files.sorted().collect(Collectors.toList())) {
                String name = file.getFileName().toString();
                if (!name.endsWith(".class") || name.contains("$")) {
                    continue;
                }
                Class<?> type = Class.forName(PACKAGE + name.substring(0, name.length() - ".class".length()));
                if (Mailet.class.isAssignableFrom(type) && Modifier.isPublic(type.getModifiers()) && !Modifier.isAbstract(type.getModifiers())) {
                    mailets.add(type.getSimpleName());
                }
            }
        }
        return mailets;
    }
}
