package org.relayguard.webadmin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relayguard.webadmin.quarantine.QuarantineMails.org;
import static org.relayguard.webadmin.quarantine.QuarantineMails.xoorg;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.mockito.Mockito;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.memory.MemoryMailRepository;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.WebAdminConfiguration;
import org.apache.james.webadmin.WebAdminServer;
import org.apache.james.webadmin.authentication.AuthenticationFilter;
import org.apache.james.webadmin.mdc.LoggingRequestFilter;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.configuration.GatewayMode;
import org.relayguard.webadmin.quarantine.QuarantineMails;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import spark.Spark;

/**
 * The review routes over HTTP in James's own webadmin server, behind an authentication filter that
 * lets through only requests carrying {@code Authorization: Bearer good}: the page is public, every
 * data route is not.
 */
class QuarantineReviewRoutesTest {
    private static final String QUARANTINE = "var/mail/m365-relaydeny";
    private static final String ENCODED = "var%2Fmail%2Fm365-relaydeny";
    private static final AllowedOrgs ALLOWED = AllowedOrgs.of(List.of("contoso.onmicrosoft.com", "contoso.com"), "test");
    private static final AuthenticationFilter BEARER_GOOD = (request, response) -> {
        if (!"Bearer good".equals(request.headers("Authorization"))) {
            Spark.halt(401, "No Bearer header.");
        }
    };

    private final HttpClient http = HttpClient.newHttpClient();
    private final MemoryMailRepository quarantine = new MemoryMailRepository();
    private WebAdminServer server;

    private final MailRepositoryStore store = new MailRepositoryStore() {
        @Override
        public MailRepository select(MailRepositoryUrl url) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Protocol> defaultProtocol() {
            return Optional.of(new Protocol("memory"));
        }

        @Override
        public Optional<MailRepository> get(MailRepositoryUrl url) {
            return url.getPath().equals(MailRepositoryPath.from(QUARANTINE)) ? Optional.of(quarantine) : Optional.empty();
        }

        @Override
        public Stream<MailRepository> getByPath(MailRepositoryPath path) {
            return path.equals(MailRepositoryPath.from(QUARANTINE)) ? Stream.of(quarantine) : Stream.empty();
        }

        @Override
        public Stream<MailRepositoryUrl> getUrls() {
            return Stream.of(MailRepositoryUrl.from("memory://" + QUARANTINE));
        }
    };

    @BeforeEach
    void startWebAdmin() {
        List<Routes> routes = List.of(
            new QuarantineReviewRoutes(store, ALLOWED, ConfiguredTenants.none(), GatewayMode.of("audit", "hardened"), new JsonTransformer(),
                new MemoryDomainList(Mockito.mock(DNSService.class))),
            new ReviewPageRoutes());
        server = new WebAdminServer(WebAdminConfiguration.TEST_CONFIGURATION, routes, BEARER_GOOD, new RecordingMetricFactory(),
            LoggingRequestFilter.create()) {
        }.start();
    }

    @AfterEach
    void stopWebAdmin() {
        server.destroy();
    }

    private HttpResponse<String> send(String method, String pathAndQuery, boolean withToken) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort().getValue() + pathAndQuery))
            .method(method, HttpRequest.BodyPublishers.noBody());
        if (withToken) {
            request.header("Authorization", "Bearer good");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return new ObjectMapper().readTree(response.body());
    }

    @Test
    void thePageAndItsFilesAnswerWithoutATokenWithAPolicyThatForbidsInlineScript() throws Exception {
        for (String file : List.of("/", "/review.js", "/review.css")) {
            HttpResponse<String> response = send("GET", ReviewPageRoutes.BASE_PATH + file, false);
            assertThat(response.statusCode()).as(file).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Security-Policy")).as(file).contains(ReviewPageRoutes.CONTENT_SECURITY_POLICY);
            assertThat(response.headers().firstValue("X-Frame-Options")).contains("DENY");
        }
        assertThat(send("GET", "/relayguard/review/", false).headers().firstValue("Content-Type")).hasValueSatisfying(type ->
            assertThat(type).startsWith("text/html"));
        assertThat(send("GET", "/relayguard/review/review.js", false).body()).contains("textContent").doesNotContain("innerHTML =");
    }

    @Test
    void everyDataRouteRefusesARequestWithoutTheToken() throws Exception {
        quarantine.store(org("m1", 1, "evil.onmicrosoft.com"));

        assertThat(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails", false).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails/m1", false).statusCode()).isEqualTo(401);
        assertThat(send("DELETE", "/relayguard/quarantine/" + ENCODED + "/mails/m1", false).statusCode()).isEqualTo(401);
        assertThat(quarantine.size()).isEqualTo(1);
    }

    @Test
    void listingShouldFilterAndCountPerHourAndDay() throws Exception {
        quarantine.store(org("m1", 1, "evil.onmicrosoft.com"));
        quarantine.store(org("m2", 70, "EVIL.onmicrosoft.com"));
        quarantine.store(org("m3", 71, "fabrikam.onmicrosoft.com"));
        quarantine.store(QuarantineMails.mail("m4", "a@evil.example", "mail-x.outbound.protection.outlook.com", 72));
        quarantine.store(xoorg("m5", 73, "evil.onmicrosoft.com", "X-OriginatorOrg: contoso.com"));

        JsonNode all = json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails", true));
        assertThat(all.at("/gateway/mode").asText()).isEqualTo("audit");
        assertThat(all.at("/gateway/profile").asText()).isEqualTo("hardened");
        assertThat(all.get("mails").asLong()).isEqualTo(5);
        assertThat(all.get("matched").asLong()).isEqualTo(5);
        assertThat(all.get("hours").toString()).isEqualTo("[{\"start\":\"2024-05-01T08:00:00Z\",\"count\":1},{\"start\":\"2024-05-01T09:00:00Z\",\"count\":4}]");
        assertThat(all.get("days").toString()).isEqualTo("[{\"start\":\"2024-05-01T00:00:00Z\",\"count\":5}]");
        assertThat(all.get("listed").findValuesAsText("key")).containsExactly("m5", "m4", "m3", "m2", "m1");
        assertThat(all.at("/listed/4").toString()).isEqualTo("{\"key\":\"m1\",\"time\":\"2024-05-01T08:01:00Z\",\"originatorOrg\":\"evil.onmicrosoft.com\","
            + "\"sender\":\"a@evil.example\",\"senderDomain\":\"evil.example\",\"recipients\":1,\"rule\":null,\"condition\":\"org-not-allowed\","
            + "\"tenant\":null,\"subject\":\"quarantined\"}");

        JsonNode evil = json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?originatorOrg=Evil&limit=1", true));
        assertThat(evil.get("matched").asLong()).isEqualTo(2);
        assertThat(evil.get("listed").findValuesAsText("key")).containsExactly("m2");
        assertThat(json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?originatorOrg=-", true)).get("listed").findValuesAsText("key"))
            .containsExactly("m4");
        assertThat(json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?rule=xoorg", true)).get("listed").findValuesAsText("key"))
            .containsExactly("m5");
        assertThat(json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?since=2024-05-01T09:11:00Z&until=2024-05-01T09:13:00Z", true))
            .get("listed").findValuesAsText("key")).containsExactly("m4", "m3");
    }

    @Test
    void listingShouldRefuseAnUnknownParameterAndABadInstant() throws Exception {
        HttpResponse<String> misspelt = send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?org=evil", true);
        assertThat(misspelt.statusCode()).isEqualTo(400);
        assertThat(json(misspelt).get("message").asText()).startsWith("Unknown query parameter(s) org");
        assertThat(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?since=yesterday", true).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails?limit=0", true).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/relayguard/quarantine/" + WebAdminEncoded.NOPE + "/mails", true).statusCode()).isEqualTo(404);
    }

    @Test
    void detailsShouldGiveTheHeadersAndTheDecisionLine() throws Exception {
        quarantine.store(org("m1", 1, "evil.onmicrosoft.com"));

        JsonNode mail = json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails/m1", true));

        assertThat(mail.get("key").asText()).isEqualTo("m1");
        assertThat(mail.get("recipients").toString()).isEqualTo("[\"someone@external.example\"]");
        assertThat(mail.get("headers").toString()).contains("{\"name\":\"X-OriginatorOrg\",\"value\":\"evil.onmicrosoft.com\"}");
        assertThat(mail.get("decisionLine").asText()).isEqualTo("decision=deny action=quarantine+relay mode=audit profile=hardened route=- rule=-"
            + " condition=org-not-allowed mail=m1 remoteHost=mail-x.outbound.protection.outlook.com remoteIp=127.0.0.2 sender=a@evil.example"
            + " recipients=1 originatorOrg=evil.onmicrosoft.com messageSource=- xoorg=- tenant=- tls=-");
        assertThat(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails/nope", true).statusCode()).isEqualTo(404);
    }

    @Test
    void deleteShouldRemoveTheMailOnce() throws Exception {
        quarantine.store(org("m1", 1, "evil.onmicrosoft.com"));
        quarantine.store(org("m2", 2, "evil.onmicrosoft.com"));
        assertThat(json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails", true)).get("listed").findValuesAsText("key"))
            .containsExactly("m2", "m1");

        assertThat(send("DELETE", "/relayguard/quarantine/" + ENCODED + "/mails/m1", true).statusCode()).isEqualTo(204);
        assertThat(send("DELETE", "/relayguard/quarantine/" + ENCODED + "/mails/m1", true).statusCode()).isEqualTo(404);

        assertThat(quarantine.retrieve(new MailKey("m1"))).isNull();
        assertThat(quarantine.retrieve(new MailKey("m2"))).isNotNull();
        JsonNode left = json(send("GET", "/relayguard/quarantine/" + ENCODED + "/mails", true));
        assertThat(left.get("mails").asLong()).isEqualTo(1);
        assertThat(left.get("listed").findValuesAsText("key")).containsExactly("m2");
    }

    private static final class WebAdminEncoded {
        static final String NOPE = "var%2Fmail%2Fnope";
    }
}
