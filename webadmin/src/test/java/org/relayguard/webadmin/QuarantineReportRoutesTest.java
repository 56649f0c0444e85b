package org.relayguard.webadmin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.relayguard.webadmin.quarantine.QuarantineMails.org;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.memory.MemoryMailRepository;
import org.apache.james.webadmin.WebAdminServer;
import org.apache.james.webadmin.WebAdminUtils;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The route over HTTP in James's own webadmin server, without the rest of James. */
class QuarantineReportRoutesTest {
    private static final String QUARANTINE = "var/mail/m365-relaydeny";
    private static final String ENCODED = "var%2Fmail%2Fm365-relaydeny";
    private static final AllowedOrgs ALLOWED = AllowedOrgs.of(List.of("contoso.onmicrosoft.com", "contoso.com"), "test");

    private final HttpClient http = HttpClient.newHttpClient();
    private final MemoryMailRepository quarantine = new MemoryMailRepository();
    private final DomainList domainList = mock(DomainList.class);
    private WebAdminServer server;

    /** A store that knows one repository, as James's store knows those its mailets use. */
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
    void startWebAdmin() throws Exception {
        when(domainList.getDomains()).thenReturn(List.of(Domain.of("contoso.com")));
        server = WebAdminUtils.createWebAdminServer(
            new QuarantineReportRoutes(store, domainList, ALLOWED, ConfiguredTenants.none(), new JsonTransformer())).start();
    }

    @AfterEach
    void stopWebAdmin() {
        server.destroy();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort().getValue() + pathAndQuery)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return new ObjectMapper().readTree(response.body());
    }

    @Test
    void reportShouldAnswerJsonWithGroupsStrangersAndWhatIf() throws Exception {
        quarantine.store(org("m1", 1, "fabrikam.onmicrosoft.com"));
        quarantine.store(org("m2", 2, "Fabrikam.onmicrosoft.com"));
        quarantine.store(org("m3", 3, "contoso.com", "evil.example"));

        HttpResponse<String> response = get("/relayguard/quarantine/" + ENCODED + "/report?whatIf=fabrikam.onmicrosoft.com&sampleKeys=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode report = json(response);
        assertThat(report.get("repository").asText()).isEqualTo(QUARANTINE);
        assertThat(report.get("mails").asLong()).isEqualTo(3);
        assertThat(report.get("firstSeen").asText()).isEqualTo("2024-05-01T08:01:00Z");
        assertThat(report.at("/allowedOrgs/values").toString()).isEqualTo("[\"contoso.onmicrosoft.com\",\"contoso.com\"]");
        assertThat(report.at("/groups/originatorOrg/groups/0").toString()).isEqualTo(
            "{\"value\":\"fabrikam.onmicrosoft.com\",\"condition\":\"org-not-allowed\",\"count\":2,"
                + "\"firstSeen\":\"2024-05-01T08:01:00Z\",\"lastSeen\":\"2024-05-01T08:02:00Z\",\"keys\":[\"m2\"]}");
        assertThat(report.at("/groups/messageSource/groups/0").toString()).isEqualTo(
            "{\"value\":null,\"count\":3,\"firstSeen\":\"2024-05-01T08:01:00Z\",\"lastSeen\":\"2024-05-01T08:03:00Z\",\"keys\":[\"m3\"]}");
        assertThat(report.get("suggestions").toString()).as("nothing says fabrikam is ours: fabrikam.com is not in the DomainList").isEqualTo("[]");
        assertThat(report.at("/strangers/0").toString()).isEqualTo("{\"value\":\"fabrikam.onmicrosoft.com\",\"reasons\":[\"onmicrosoft\"],"
            + "\"evidence\":\"2 of 2 mails from evil.example, not a domain of yours\",\"mails\":2,\"wouldLetThrough\":2,"
            + "\"senderDomains\":[\"evil.example\"],\"fromOurDomains\":0,\"fromForeignDomains\":2,\"ourDomains\":[],"
            + "\"foreignDomains\":[\"evil.example\"],\"keys\":[\"m2\"]}");
        assertThat(report.at("/whatIf/mails").asLong()).isEqualTo(2);
        assertThat(report.at("/whatIf/stillDenied").asLong()).isEqualTo(1);
    }

    @Test
    void reportShouldOmitWhatIfWhenNotAsked() throws Exception {
        JsonNode report = json(get("/relayguard/quarantine/" + ENCODED + "/report"));

        assertThat(report.has("whatIf")).isFalse();
        assertThat(report.get("mails").asLong()).isZero();
    }

    @Test
    void reportShouldAnswer404JsonForAnUnknownRepository() throws Exception {
        HttpResponse<String> response = get("/relayguard/quarantine/var%2Fmail%2Fnope/report");

        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = json(response);
        assertThat(error.get("statusCode").asInt()).isEqualTo(404);
        assertThat(error.get("type").asText()).isEqualTo("notFound");
        assertThat(error.get("message").asText()).isEqualTo("The repository 'var/mail/nope' does not exist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"limit=0", "limit=abc", "sampleKeys=99", "whatIf=", "whatif=a.com", "whatIf=a.com,,b.com"})
    void reportShouldAnswer400JsonForABadParameter(String query) throws Exception {
        HttpResponse<String> response = get("/relayguard/quarantine/" + ENCODED + "/report?" + query);

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = json(response);
        assertThat(error.get("statusCode").asInt()).isEqualTo(400);
        assertThat(error.get("type").asText()).isEqualTo("InvalidArgument");
        assertThat(error.get("message").asText()).isNotBlank();
    }

    @Test
    void reportShouldAnswer400JsonForABadlyEncodedRepositoryPath() throws Exception {
        HttpResponse<String> response = get("/relayguard/quarantine/var%25zz/report");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("type").asText()).isEqualTo("InvalidArgument");
    }

    @Test
    void reportShouldAnswer500JsonWhenTheDomainListCannotBeRead() throws Exception {
        quarantine.store(org("m1", 1, "fabrikam.com"));
        when(domainList.getDomains()).thenThrow(new DomainListException("down"));

        HttpResponse<String> response = get("/relayguard/quarantine/" + ENCODED + "/report");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(json(response).get("message").asText()).isEqualTo("Error while reading James's DomainList");
    }
}
