package org.relayguard.webadmin.dto;

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
 * The query parameter table of the report route in docs/reference.md is the set of parameters
 * the route accepts ({@link ReportParameters#KNOWN}; it refuses every other one with a 400), no
 * more, no fewer.
 */
class ReferenceReportParametersTest {
    private static final Path REFERENCE = Path.of(System.getProperty("basedir", "."), "..", "docs", "reference.md").toAbsolutePath().normalize();
    private static final Pattern ONE_NAME = Pattern.compile("^`([^`\\s]+)`$");

    @Test
    void theQueryParameterTableNamesExactlyTheParametersTheRouteAccepts() throws IOException {
        assertThat(queryParameters(Files.readString(REFERENCE, StandardCharsets.UTF_8)))
            .as("the 'Query parameter' table of %s", REFERENCE)
            .containsExactlyInAnyOrderElementsOf(ReportParameters.KNOWN);
    }

    @Test
    void aMisspeltParameterInTheTableIsSeen() {
        String table = "| Query parameter | Required |\n| --- | --- |\n| `whatif` | no |\n| `limit` | no |\n| `sampleKeys` | no |\n";

        assertThat(queryParameters(table)).containsExactly("whatif", "limit", "sampleKeys")
            .isNotEqualTo(List.copyOf(ReportParameters.KNOWN));
    }

    /** The names of the table whose first header cell is "Query parameter". */
    static List<String> queryParameters(String markdown) {
        List<String> names = new ArrayList<>();
        boolean inTable = false;
        for (String line : markdown.lines().toArray(String[]::new)) {
            if (!inTable) {
                inTable = line.startsWith("|") && firstCell(line).equals("Query parameter");
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
        assertThat(inTable).as("a 'Query parameter' table").isTrue();
        return names;
    }

    private static String firstCell(String row) {
        return row.substring(1).split("(?<!\\\\)\\|", 2)[0].trim();
    }
}
