package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.LocalDnsServer;
import org.relayguard.tools.load.PeerComparison;

/**
 * {@code ./perf.sh peer} with its default internet route, briefly: a few dozen mails of the mix
 * (BDAT and SMTPUTF8 mail among them) through the durable gateway and through Postfix, each without
 * an outbound gateway, resolving the internet domains' MX records through a name server of its own
 * and delivering to two MX hosts of its own on port 25. The tool says both accountings are exact
 * (every mail once on its route, its envelope as sent) and which MX host carried what. Needs root
 * (port 53 and 25, mount namespaces), unshare and Debian's postfix and postfix-pcre; skipped
 * without them.
 */
class PeerComparisonTest {

    @Test
    void theMxRouteMixShouldReachEachRelaysOwnMxHostsWithExactAccounting() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/postfix")) && Files.exists(Path.of("/usr/lib/postfix/postfix-pcre.so")),
            "Postfix is not installed (apt-get install postfix postfix-pcre)");
        assumeTrue(LocalDnsServer.canRun(), "the MX route needs root and unshare");

        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream console = System.out;
        boolean exact;
        System.setOut(new PrintStream(output, true, StandardCharsets.UTF_8));
        try {
            exact = PeerComparison.run("--mails", "60", "--warmup", "20", "--rounds", "1", "--pause", "0", "--connections", "4");
        } finally {
            System.setOut(console);
        }
        String report = output.toString(StandardCharsets.UTF_8);
        console.print(report);

        assertThat(exact).as(report).isTrue();
        assertThat(report).contains("Internet route: by MX records, no outbound gateway",
            "Accounting postfix: relayed 80 (sent 80): exact",
            "Accounting gateway: relayed 80 (predicted 80), quarantined 4 (predicted 4), error repository 0: exact");
        // Of the 80 mails, 64 come from Microsoft 365 and go to the internet (18 of them by BDAT: 30 % of
        // each run's, to both relays, which offer CHUNKING), 16 to the smart host; 4 with SMTPUTF8.
        assertThat(lines(report, "by BDAT so far")).hasSize(4);
        assertThat(lines(report, "measured ")).filteredOn(line -> line.contains("by BDAT"))
            .hasSize(2).allSatisfy(line -> assertThat(line).contains(", 18 by BDAT so far"));
        assertThat(lines(report, "Routes postfix")).singleElement().asString()
            .contains("M365 smart host 16 mails", "mx1.internet.test (127.25.2.1:25)", "mx2.internet.test (127.25.2.2:25)")
            .doesNotContain(" 0 mails");
        assertThat(lines(report, "Routes gateway")).singleElement().asString()
            .contains("M365 smart host 16 mails", "mx1.internet.test (127.25.1.1:25)", "mx2.internet.test (127.25.1.2:25)")
            .doesNotContain(" 0 mails");
    }

    private static List<String> lines(String report, String text) {
        return report.lines().filter(line -> line.contains(text)).collect(Collectors.toList());
    }
}
