package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.harness.WebAdminJwt;

/**
 * Webadmin as the distribution ships it (issue 28): started by {@code bin/relayguard}, which makes
 * the token key pair, it answers only its own operator: a request whose {@code Host} is not one it
 * was configured with (a page of another site in the operator's browser, through DNS rebinding)
 * is refused before any route, a request without a token gets {@code 401}, and a token from
 * {@code bin/relayguard-token} opens it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebAdminAccessTest {
    private static final String QUARANTINE_MAILS = "/mailRepositories/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/mails";
    private static final String REPORT = "/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/report";

    private NextHops hops;
    private JamesServer james;
    private String token;

    @BeforeAll
    void startTheDistributionAsShipped() throws Exception {
        hops = NextHops.start();
        james = JamesServer.builder()
            .nextHops(hops)
            .launcher(List.of())
            .env("RELAYGUARD_ALLOW_ROOT", "true")
            .start();
        token = james.tokenFromDistribution();
    }

    @AfterAll
    void stop() {
        if (james != null) {
            james.close();
        }
        if (hops != null) {
            hops.close();
        }
    }

    private String own() {
        return "127.0.0.1:" + james.webAdminPort();
    }

    private int status(String method, String path, String host, Optional<String> bearer) {
        WebAdmin webAdmin = james.webAdmin().anonymous();
        return bearer.map(webAdmin::withToken).orElse(webAdmin).statusWithHost(host, method, path);
    }

    @Test
    @Order(1)
    void theFirstStartMadeTheKeyPairWithAPrivateKeyOnlyItsOwnerReads() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(james.root().resolve(WebAdminJwt.PRIVATE_KEY))))
            .isEqualTo("rw-------");
        assertThat(james.root().resolve(WebAdminJwt.PUBLIC_KEY)).exists();
    }

    @Test
    @Order(2)
    void aForeignHostIsRefusedOnEveryRouteEvenWithTheToken() throws Exception {
        for (String host : List.of("attacker.example", "attacker.example:" + james.webAdminPort(), "localhost.attacker.example:" + james.webAdminPort())) {
            assertThat(status("PUT", "/domains/rebound.example", host, Optional.of(token))).as("PUT /domains with Host %s", host).isEqualTo(403);
            assertThat(status("GET", "/domains", host, Optional.of(token))).as("GET /domains with Host %s", host).isEqualTo(403);
            assertThat(status("GET", QUARANTINE_MAILS, host, Optional.of(token))).as("the quarantine with Host %s", host).isEqualTo(403);
            assertThat(status("PATCH", QUARANTINE_MAILS + "?action=reprocess&processor=m365_release", host, Optional.of(token)))
                .as("a release with Host %s", host).isEqualTo(403);
            // Without a token too: public routes, and no route at all.
            assertThat(status("GET", "/relayguard/review/", host, Optional.empty())).as("the review page with Host %s", host).isEqualTo(403);
            assertThat(status("GET", "/metrics", host, Optional.empty())).as("/metrics with Host %s", host).isEqualTo(403);
            assertThat(status("GET", "/no-such-route", host, Optional.empty())).as("no route with Host %s", host).isEqualTo(403);
            assertThat(status("PUT", "/domains/rebound.example", host, Optional.empty())).as("PUT /domains without token, Host %s", host)
                .isBetween(400, 499);
        }
        assertThat(james.webAdmin().domains()).doesNotContain("rebound.example");
    }

    @Test
    @Order(3)
    void withoutATokenEveryDataRouteAnswers401() throws Exception {
        for (String path : List.of("/domains", QUARANTINE_MAILS, REPORT, "/mailQueues")) {
            assertThat(status("GET", path, own(), Optional.empty())).as("GET %s without a token", path).isEqualTo(401);
            assertThat(status("GET", path, own(), Optional.of(token + "x"))).as("GET %s with a forged token", path).isEqualTo(401);
        }
        assertThat(status("PUT", "/domains/unauthenticated.example", own(), Optional.empty())).isEqualTo(401);
        assertThat(james.webAdmin().domains()).doesNotContain("unauthenticated.example");
    }

    @Test
    @Order(4)
    void theTokenOfBinRelayguardTokenOpensWebAdminOnItsOwnHostsAndTheReviewPageLoadsWithout() throws Exception {
        for (String host : List.of(own(), "localhost:" + james.webAdminPort())) {
            assertThat(status("GET", "/domains", host, Optional.of(token))).as("GET /domains with Host %s", host).isEqualTo(200);
            assertThat(status("GET", REPORT, host, Optional.of(token))).as("the report with Host %s", host).isEqualTo(200);
            assertThat(status("GET", "/relayguard/review/", host, Optional.empty())).as("the review page with Host %s", host).isEqualTo(200);
        }
        assertThat(status("PUT", "/domains/fabrikam.com", own(), Optional.of(token))).isEqualTo(204);
        assertThat(james.webAdmin().domains()).contains("fabrikam.com");
    }

    @Test
    @Order(5)
    void configuredHostsReplaceTheDefaultAndAWildcardStopsJames() throws Exception {
        james.setEnv("RELAYGUARD_WEBADMIN_ALLOWED_HOSTS", "gateway.example.com:9000, review.example.com");
        james.restart();
        assertThat(status("GET", "/domains", "gateway.example.com:9000", Optional.of(token))).isEqualTo(200);
        assertThat(status("GET", "/domains", "review.example.com:" + james.webAdminPort(), Optional.of(token))).isEqualTo(200);
        assertThat(status("GET", "/domains", own(), Optional.of(token))).isEqualTo(403);

        james.stop();
        james.setEnv("RELAYGUARD_WEBADMIN_ALLOWED_HOSTS", "*");
        assertThat(james.startExpectingFailure()).contains("relayguard.webadmin.allowedHosts");
        james.setEnv("RELAYGUARD_WEBADMIN_ALLOWED_HOSTS", "");
    }

    @Test
    @Order(6)
    void withoutItsPublicKeyJamesRefusesToStartNamingTheFileRatherThanRunWithoutAuthentication() throws Exception {
        Path publicKey = james.root().resolve(WebAdminJwt.PUBLIC_KEY);
        Path aside = publicKey.resolveSibling("jwt-public.pem.aside");
        Files.move(publicKey, aside);

        assertThat(james.startExpectingFailure()).contains("FileNotFoundException").contains("conf/webadmin/jwt-public.pem");
        assertThat(james.root().resolve("conf/webadmin/README.txt")).content().contains("FileNotFoundException");

        Files.move(aside, publicKey);
        james.start();
        assertThat(status("GET", "/domains", own(), Optional.of(token))).isEqualTo(200);
    }
}
