package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The distribution's {@code conf/relayguard.env} is the list of every setting an operator can give
 * the server: every {@code RELAYGUARD_*} variable the shipped configuration reads is in it, commented
 * out, with the default the configuration falls back to, and it names none that nothing reads. A
 * setting added to a conf file, bin/relayguard or README without its line here fails this test.
 */
class EnvFileTest {
    static final Path ENV_FILE = DocLinksTest.REPOSITORY.resolve("james-server/src/main/dist/conf/relayguard.env");
    static final Path BIN = DocLinksTest.REPOSITORY.resolve("james-server/src/main/dist/bin/relayguard");
    /** The install bundle's server root as james-conf builds it (its two mailetcontainer.xml are generated). */
    static final Path JAMES_ROOT = DocLinksTest.REPOSITORY.resolve("james-conf/target/james");
    static final Path SERVER_SOURCES = DocLinksTest.REPOSITORY.resolve("james-server/src/main/java");

    /** ${env:NAME:-default} (James's configuration) or ${NAME:-default} (logback). */
    private static final Pattern CONF_REFERENCE = Pattern.compile("\\$\\{(?:env:)?(RELAYGUARD_[A-Z0-9_]+):-([^}]*)\\}");
    /** ${NAME:-literal} in bin/relayguard (a default that is itself an expansion is not a setting's default). */
    private static final Pattern SCRIPT_REFERENCE = Pattern.compile("\\$\\{(RELAYGUARD_[A-Z0-9_]+):-([^}$]*)\\}");
    private static final Pattern ENTITY = Pattern.compile("<!ENTITY\\s+(\\w+)\\s+\"([^\"]*)\">");
    private static final Pattern JAVA_NAME = Pattern.compile("\"(RELAYGUARD_[A-Z0-9_]+)\"");
    private static final Pattern ENV_LINE = Pattern.compile("^(#?)(RELAYGUARD_[A-Z0-9_]+)=(.*)$");
    private static final Pattern README_NAME = Pattern.compile("RELAYGUARD_[A-Z0-9_]*[A-Z0-9]\\b(?!_?\\*)");
    /** They say where the file is and which server root: bin/relayguard reads them before the file. */
    private static final Set<String> BEFORE_THE_FILE = Set.of("RELAYGUARD_ROOT", "RELAYGUARD_ENV_FILE");

    @Test
    void everySettingTheShippedConfigurationReadsIsListedWithItsDefault() throws IOException {
        Map<String, Set<String>> shipped = shippedDefaults();
        Map<String, String> listed = envFile();

        List<String> problems = new ArrayList<>();
        shipped.forEach((name, defaults) -> {
            if (defaults.size() != 1) {
                problems.add(name + ": the shipped files disagree on its default " + defaults);
            } else if (!listed.containsKey(name)) {
                problems.add(name + ": missing from relayguard.env (default " + defaults.iterator().next() + ")");
            } else if (!defaults.contains(listed.get(name))) {
                problems.add(name + ": relayguard.env says " + listed.get(name) + ", the shipped default is " + defaults.iterator().next());
            }
        });
        assertThat(problems).as("settings of the shipped configuration against conf/relayguard.env").isEmpty();
    }

    @Test
    void theEnvFileNamesOnlySettingsTheServerReads() throws IOException {
        assertThat(envFile().keySet()).as("names in relayguard.env that no shipped file reads")
            .isSubsetOf(shippedDefaults().keySet());
    }

    @Test
    void everyVariableTheReadmeNamesIsInTheEnvFile() throws IOException {
        Set<String> named = new TreeSet<>();
        Matcher name = README_NAME.matcher(Files.readString(ReadmeTest.README, StandardCharsets.UTF_8));
        while (name.find()) {
            named.add(name.group());
        }
        named.removeAll(BEFORE_THE_FILE);
        assertThat(named).as("RELAYGUARD_* names in README").isNotEmpty();
        assertThat(envFile().keySet()).as("relayguard.env against the names README gives").containsAll(named);
    }

    @Test
    void everySettingLineIsCommentedOutSoTheFileChangesNothingUntilEdited() throws IOException {
        // bin/relayguard keeps the first line of a name: an active line here would also hide the
        // line an operator appends (the operator guide's install step appends).
        for (String line : Files.readAllLines(ENV_FILE, StandardCharsets.UTF_8)) {
            Matcher setting = ENV_LINE.matcher(line);
            if (setting.matches()) {
                assertThat(setting.group(1)).as("relayguard.env line %s", line).isEqualTo("#");
            }
        }
    }

    /** Each name the shipped files read, with the default(s) they give it (entities resolved). */
    static Map<String, Set<String>> shippedDefaults() throws IOException {
        Map<String, Set<String>> defaults = new TreeMap<>();
        List<Path> confFiles;
        try (Stream<Path> files = Files.walk(JAMES_ROOT)) {
            confFiles = files.filter(Files::isRegularFile)
                .filter(file -> file.toString().endsWith(".xml") || file.toString().endsWith(".properties"))
                .sorted().collect(Collectors.toList());
        }
        assertThat(confFiles).as("conf files under " + JAMES_ROOT).isNotEmpty();
        for (Path file : confFiles) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Map<String, String> entities = new TreeMap<>();
            Matcher entity = ENTITY.matcher(text);
            while (entity.find()) {
                entities.put(entity.group(1), entity.group(2));
            }
            Matcher reference = CONF_REFERENCE.matcher(text);
            while (reference.find()) {
                String value = reference.group(2);
                for (Map.Entry<String, String> e : entities.entrySet()) {
                    value = value.replace("&" + e.getKey() + ";", e.getValue());
                }
                defaults.computeIfAbsent(reference.group(1), key -> new TreeSet<>()).add(value);
            }
        }
        // bin/relayguard: its own settings; for a name a conf file reads, ${NAME:-} only asks whether it is set.
        Map<String, Set<String>> fromConf = new TreeMap<>(defaults);
        Matcher script = SCRIPT_REFERENCE.matcher(Files.readString(BIN, StandardCharsets.UTF_8));
        while (script.find()) {
            if (!fromConf.containsKey(script.group(1)) && !BEFORE_THE_FILE.contains(script.group(1))) {
                defaults.computeIfAbsent(script.group(1), key -> new TreeSet<>()).add(script.group(2));
            }
        }
        // The server's own code (DeliveryTrust): read from the environment, unset means none.
        try (Stream<Path> files = Files.walk(SERVER_SOURCES)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                Matcher name = JAVA_NAME.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (name.find()) {
                    defaults.computeIfAbsent(name.group(1), key -> new TreeSet<>()).add("");
                }
            }
        }
        return defaults;
    }

    /** The RELAYGUARD_* lines of relayguard.env, commented or not; a name twice is an error. */
    static Map<String, String> envFile() throws IOException {
        Map<String, String> listed = new TreeMap<>();
        for (String line : Files.readAllLines(ENV_FILE, StandardCharsets.UTF_8)) {
            Matcher setting = ENV_LINE.matcher(line);
            if (setting.matches()) {
                assertThat(listed.put(setting.group(2), setting.group(3))).as("a second line for %s in relayguard.env", setting.group(2)).isNull();
            }
        }
        return listed;
    }
}
