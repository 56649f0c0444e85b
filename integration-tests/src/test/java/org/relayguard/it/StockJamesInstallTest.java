package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;

/**
 * README's "Install into an existing James 3.8.1", step by step, on James's stock memory server
 * 3.8.1 (its jars from Maven Central, as {@code james-server} copies them, and
 * {@code james-server-data-file} that README names; none of Relay Guard's own jars): the bundle
 * README names unpacked over the James root, the certificate made with the command README gives,
 * the settings given through their environment overrides, James started with README's logback
 * option. It relays a mail on each route, and offers no CHUNKING (that needs the Relay Guard
 * server's frame decoder). Without the certificate step James refuses to start, and
 * its log names the file that conf/tls/README.txt explains.
 */
class StockJamesInstallTest {
    private static final Pattern BUNDLE = Pattern.compile("`(james-conf/target/relayguard-[^`]+-bundle\\.tar\\.gz)`");
    private static final Pattern CERTIFICATE_COMMAND = Pattern.compile("`(bin/relayguard-self-signed-cert)`");
    private static final Pattern TOKEN_COMMAND = Pattern.compile("`(bin/relayguard-token)`");
    static final String SECTION = "## Install into an existing James 3.8.1";

    @Test
    void readmeInstallStepsOnAStockJamesRelayOnBothRoutes() throws Exception {
        String steps = installSection();
        Path stockJames = stockJames();
        try (NextHops hops = NextHops.start()) {
            // Step 1: the bundle README names (mvn package built it).
            Path bundle = DocLinksTest.REPOSITORY.resolve(match(BUNDLE, steps));
            assertThat(bundle).exists();
            // Step 2: unpacked over the James root.
            DistributionTest.run("tar", "-xzf", bundle.toString(), "-C", stockJames.toString());
            // Step 3: the certificate, with the command README gives, run in the James root.
            DistributionTest.Result certificate = bashIn(stockJames, match(CERTIFICATE_COMMAND, steps));
            assertThat(certificate.exitCode).as(certificate.output).isZero();
            assertThat(stockJames.resolve("conf/tls/fullchain.pem")).exists();
            // Still step 3: webadmin's key pair, made by the token command README gives, which prints a token.
            DistributionTest.Result token = bashIn(stockJames, match(TOKEN_COMMAND, steps) + " 2>/dev/null");
            assertThat(token.exitCode).as(token.output).isZero();
            // Steps 4 and 5: the settings through their environment overrides; README's start option is JamesServer's.
            assertThat(steps).contains("-Dlogback.configurationFile=conf/logback.xml");
            try (JamesServer james = JamesServer.builder(stockJames)
                .root(stockJames)
                .kind(JamesServer.Kind.STOCK_MEMORY)
                .gatewayCertificate(false)
                .nextHops(hops)
                .start()) {
                // What a stock install gets: authentication with README's token, and no answer to a foreign Host.
                james.useWebAdminToken(token.output.trim());
                assertThat(james.webAdmin().domains()).contains("contoso.com");
                assertThat(james.webAdmin().anonymous().get("/domains", "application/json").status).isEqualTo(401);
                assertThat(james.webAdmin().statusWithHost("attacker.example", "GET", "/relayguard/review/")).isEqualTo(403);
                // CHUNKING needs the Relay Guard server's frame decoder: a stock James offers none and answers BDAT as before.
                try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty())) {
                    assertThat(client.command("EHLO client.example").text).doesNotContain("CHUNKING");
                    assertThat(client.command("BDAT 6 LAST").code).isEqualTo(500);
                }
                assertThat(TransportMail.OUTBOUND.send(james, "stock-outbound").code).isEqualTo(250);
                assertThat(TransportMail.INBOUND.send(james, "stock-inbound").code).isEqualTo(250);

                Outcomes outcomes = Outcomes.await(james, hops, 2, TransportMail.ID_HEADER, Duration.ofSeconds(90));
                assertThat(outcomes.relayed("stock-outbound")).as("outbound at the internet next hop (%s)", outcomes).isEqualTo(1);
                assertThat(outcomes.relayedToM365("stock-inbound")).as("inbound at the M365 smart host (%s)", outcomes).isEqualTo(1);
                assertThat(outcomes.errorRepositorySize()).isZero();
            }
        } finally {
            DistributionTest.run("rm", "-rf", stockJames.toString());
        }
    }

    @Test
    void withoutTheCertificateStepStockJamesRefusesToStartNamingTheFileThatTheBundleExplains() throws Exception {
        String steps = installSection();
        Path stockJames = stockJames();
        try {
            DistributionTest.run("tar", "-xzf", DocLinksTest.REPOSITORY.resolve(match(BUNDLE, steps)).toString(), "-C", stockJames.toString());
            JamesServer james = JamesServer.builder(stockJames).root(stockJames).kind(JamesServer.Kind.STOCK_MEMORY)
                .gatewayCertificate(false).prepare();

            String log = james.startExpectingFailure();

            assertThat(log).contains("conf/tls/");
            assertThat(stockJames.resolve("conf/tls/README.txt")).content(StandardCharsets.UTF_8)
                .contains("FileNotFoundException", "bin/relayguard-self-signed-cert");
            assertThat(steps).as("README's steps").contains("conf/tls/README.txt");
        } finally {
            DistributionTest.run("rm", "-rf", stockJames.toString());
        }
    }

    /** A James 3.8.1 memory server root: James's jars from Maven Central only, no Relay Guard jar. */
    private static Path stockJames() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/tmp"), "stock-james-");
        Path lib = Files.createDirectories(home.resolve("lib"));
        try (Stream<Path> jars = Files.list(JamesServer.defaultServerDir().resolve("lib"))) {
            for (Path jar : jars.filter(jar -> !jar.getFileName().toString().startsWith("relayguard-")).collect(Collectors.toList())) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
            }
        }
        assertThat(lib.resolve("james-server-memory-app-3.8.1.jar")).exists();
        assertThat(lib.resolve("james-server-data-file-3.8.1.jar")).exists();
        return home;
    }

    static String installSection() throws Exception {
        String readme = Files.readString(ReadmeTest.README, StandardCharsets.UTF_8);
        int start = readme.indexOf(SECTION);
        assertThat(start).as("README section %s", SECTION).isNotNegative();
        int end = readme.indexOf("\n## ", start + SECTION.length());
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    private static String match(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        assertThat(matcher.find()).as("%s in README's install steps", pattern).isTrue();
        return matcher.group(1);
    }

    private static DistributionTest.Result bashIn(Path directory, String command) throws Exception {
        return DistributionTest.exec("bash", "-c", "cd '" + directory + "' && " + command);
    }
}
