package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The webadmin calls an operator makes to review the quarantine, as the README's curl commands
 * make them: list, read, reprocess into the release processor, await the task, delete.
 */
public final class WebAdmin {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final Optional<String> bearerToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public WebAdmin(String baseUrl) {
        this(baseUrl, Optional.empty());
    }

    /** A client that authenticates every call with a JWT, as webadmin requires when {@code jwt.enabled=true}. */
    public WebAdmin(String baseUrl, Optional<String> bearerToken) {
        this.baseUrl = baseUrl;
        this.bearerToken = bearerToken;
    }

    /** The same webadmin without credentials. */
    public WebAdmin anonymous() {
        return new WebAdmin(baseUrl);
    }

    /** A repository as webadmin names it: its path without {@code file://}, URL-encoded. */
    public static String encode(String repositoryPath) {
        return URLEncoder.encode(repositoryPath, StandardCharsets.UTF_8);
    }

    public List<String> mailKeys(String repositoryPath) {
        Response response = get("/mailRepositories/" + encode(repositoryPath) + "/mails", "application/json");
        if (response.status == 404) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        response.expect(200).json().forEach(key -> keys.add(key.asText()));
        return keys;
    }

    /** The mail's envelope details and headers, as {@code GET …/mails/KEY?additionalFields=…} returns them. */
    public JsonNode mail(String repositoryPath, String key) {
        return get("/mailRepositories/" + encode(repositoryPath) + "/mails/" + encode(key) + "?additionalFields=headers,attributes",
            "application/json").expect(200).json();
    }

    /** The stored message as RFC 822 text. */
    public String rawMail(String repositoryPath, String key) {
        return get("/mailRepositories/" + encode(repositoryPath) + "/mails/" + encode(key), "message/rfc822").expect(200).body;
    }

    /** Reprocesses one mail into a processor and waits for the task; returns the task's final JSON. */
    public JsonNode reprocess(String repositoryPath, String key, String processor) {
        Response response = send(builder(uri("/mailRepositories/" + encode(repositoryPath) + "/mails/" + encode(key)
                + "?action=reprocess&processor=" + encode(processor)))
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build());
        String taskId = response.expect(201).json().get("taskId").asText();
        return awaitTask(taskId);
    }

    /** Reprocesses every mail of a repository into a processor and waits for the task; returns the task's final JSON. */
    public JsonNode reprocessAll(String repositoryPath, String processor) {
        Response response = send(builder(uri("/mailRepositories/" + encode(repositoryPath) + "/mails?action=reprocess&processor=" + encode(processor)))
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build());
        String taskId = response.expect(201).json().get("taskId").asText();
        return awaitTask(taskId);
    }

    public JsonNode awaitTask(String taskId) {
        return get("/tasks/" + taskId + "/await?timeout=60s", "application/json").expect(200).json();
    }

    public void delete(String repositoryPath, String key) {
        send(builder(uri("/mailRepositories/" + encode(repositoryPath) + "/mails/" + encode(key))).DELETE().build())
            .expect(204);
    }

    /** A queue's size; a queue that does not exist is an error (James creates every configured queue at start). */
    public long queueSize(String queue) {
        return get("/mailQueues/" + encode(queue), "application/json").expect(200).json().get("size").asLong();
    }

    /** The mails waiting in a queue, as {@code GET /mailQueues/NAME/mails} lists them (name, sender, recipients, nextDelivery). */
    public List<JsonNode> queuedMails(String queue) {
        List<JsonNode> mails = new ArrayList<>();
        get("/mailQueues/" + encode(queue) + "/mails", "application/json").expect(200).json().forEach(mails::add);
        return mails;
    }

    /** Makes every mail waiting for a retry in a queue due now, as James's webadmin does it ({@code PATCH …/mails?delayed=true}). */
    public void flushQueue(String queue) {
        send(builder(uri("/mailQueues/" + encode(queue) + "/mails?delayed=true")).header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"delayed\": false}")).build()).expect(204);
    }

    /** The names of James's mail queues. */
    public List<String> queues() {
        List<String> names = new ArrayList<>();
        get("/mailQueues", "application/json").expect(200).json().forEach(name -> names.add(name.asText()));
        return names;
    }

    /** The domains of James's DomainList. */
    public List<String> domains() {
        List<String> names = new ArrayList<>();
        get("/domains", "application/json").expect(200).json().forEach(name -> names.add(name.asText()));
        return names;
    }

    public void addDomain(String domain) {
        send(builder(uri("/domains/" + encode(domain))).PUT(HttpRequest.BodyPublishers.noBody()).build())
            .expect(204);
    }

    /**
     * James's {@code POST /servers?reload-certificate}: every listener with TLS reads its key and
     * certificates again (only those on {@code port}, if given). Returns James's answer.
     */
    public Response reloadCertificates(Optional<Integer> port) {
        String query = "reload-certificate" + port.map(value -> "&port=" + value).orElse("");
        return send(builder(uri("/servers?" + query)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** A PATCH without a body, as webadmin's actions ({@code ?action=reprocess}) take it. */
    public Response patch(String path) {
        return send(builder(uri(path)).method("PATCH", HttpRequest.BodyPublishers.noBody()).build());
    }

    public Response get(String path, String accept) {
        return send(builder(uri(path)).header("Accept", accept).GET().build());
    }

    /**
     * James's counters as its Prometheus endpoint {@code /metrics} exposes them (sample name to
     * value), e.g. {@code relayguard_denied_total}.
     */
    public Map<String, Double> metrics() {
        Map<String, Double> samples = new HashMap<>();
        for (String line : get("/metrics", "text/plain").expect(200).body.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    /**
     * The status webadmin answers to one request that names {@code host} in its {@code Host} header,
     * as a browser does for a page of that name (DNS rebinding), with this client's token if any.
     * Over a plain socket: java.net.http does not let a caller set {@code Host}.
     */
    public int statusWithHost(String host, String method, String path) {
        URI base = URI.create(baseUrl);
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            String request = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + bearerToken.map(token -> "Authorization: Bearer " + token + "\r\n").orElse("")
                + "Content-Length: 0\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            if (!answer.startsWith("HTTP/1.1 ") || answer.length() < 12) {
                throw new IllegalStateException(method + " " + path + " with Host " + host + ": no HTTP answer: " + answer);
            }
            return Integer.parseInt(answer.substring(9, 12));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same webadmin with another token. */
    public WebAdmin withToken(String token) {
        return new WebAdmin(baseUrl, Optional.of(token));
    }

    private HttpRequest.Builder builder(URI uri) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
        bearerToken.ifPresent(token -> builder.header("Authorization", "Bearer " + token));
        return builder;
    }

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(request, response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static final class Response {
        private final HttpRequest request;
        public final int status;
        public final String body;

        Response(HttpRequest request, int status, String body) {
            this.request = request;
            this.status = status;
            this.body = body;
        }

        public Response expect(int expected) {
            if (status != expected) {
                throw new IllegalStateException(request.method() + " " + request.uri() + " answered " + status + ": " + body);
            }
            return this;
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
