package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import com.fasterxml.jackson.databind.JsonNode;
import org.relayguard.tools.harness.DecisionLog;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.harness.WebAdminJwt;

/**
 * The quarantine review page ({@code /relayguard/review/}) in a real Chromium against a real Relay
 * Guard server in enforce mode with webadmin authentication on: without a token the page shows
 * nothing of the quarantine and the API refuses; with it, the counts equal the report's, a release
 * click delivers the mail exactly once, deletes remove mails and are logged, and a mail whose
 * subject and {@code X-OriginatorOrg} carry markup is shown as text and runs nothing.
 *
 * <p>Screenshots land in {@code target/screenshots/}; {@code docs/images/} holds copies.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuarantineReviewPageTest {
    private static final String ID_HEADER = "X-Relayguard-Test";
    private static final String REPORT = "/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/report?limit=50";
    private static final String MAILS = "/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/mails";
    private static final String SUBJECT_PAYLOAD = "<script>window.pwned='subject-script'</script><img src=x onerror=\"window.pwned='subject-img'\">";
    private static final String ORG_PAYLOAD = "<script>window.pwned='org-script'</script><img src=x onerror=window.pwned='org-img'>";
    private static final Path SCREENSHOTS = Path.of("target/screenshots");

    /** id, envelope sender, XOORG (or empty), X-OriginatorOrg instances, subject. */
    private static final List<List<String>> SENT = List.of(
        List.of("E1", "a@evil.example", "", "evil.onmicrosoft.com", "Invoice 1"),
        List.of("E2", "b@evil.example", "", "EVIL.onmicrosoft.com", "Invoice 2"),
        List.of("E3", "c@evil.example", "", "evil.onmicrosoft.com", "Invoice 3"),
        List.of("F1", "a@fabrikam.com", "", "fabrikam.onmicrosoft.com", "Quarterly numbers"),
        List.of("L1", "a@contoso-eu.example", "", "contoso-eu.onmicrosoft.com", "Looks like you"),
        List.of("N1", "d@evil.example", "", "", "No org at all"),
        List.of("G1", "e@evil.example", "evil.onmicrosoft.com", "contoso.com", "Session names the tenant"),
        List.of("X1", "x@evil.example", "", ORG_PAYLOAD, SUBJECT_PAYLOAD));

    private NextHops hops;
    private JamesServer james;
    private WebAdmin webAdmin;
    private WebAdminJwt jwt;
    private ChromeDriver browser;
    private final Map<String, String> keyOf = new HashMap<>();

    @BeforeAll
    void startGatewayAndBrowser() throws Exception {
        hops = NextHops.start();
        // The distribution as shipped: bin/relayguard makes the key pair, bin/relayguard-token a token.
        james = JamesServer.builder().enforce(true).nextHops(hops)
            .launcher(List.of())
            .env("RELAYGUARD_ALLOW_ROOT", "true")
            .prepare();
        // fabrikam.com is one of our domains: fabrikam.onmicrosoft.com, sending as it, is our second tenant.
        Path domainList = james.conf("domainlist.xml");
        Files.writeString(domainList, Files.readString(domainList, StandardCharsets.UTF_8)
            .replace("<domainname>contoso.com</domainname>", "<domainname>contoso.com</domainname>\n        <domainname>fabrikam.com</domainname>"),
            StandardCharsets.UTF_8);
        james.start();
        jwt = WebAdminJwt.of(james.root());
        webAdmin = james.webAdmin();
        for (List<String> mail : SENT) {
            send(mail);
        }
        Outcomes outcomes = Outcomes.await(james, hops, 0, ID_HEADER, Duration.ofSeconds(60));
        for (List<String> mail : SENT) {
            assertThat(outcomes.quarantined(mail.get(0))).as("%s quarantined (%s)", mail.get(0), outcomes).isEqualTo(1);
        }
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            keyOf.put(Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), ID_HEADER), key);
        }
        browser = Chromium.start(james.root().resolve("chromium-profile"));
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        james.close();
        hops.close();
    }

    private void send(List<String> mail) throws Exception {
        StringBuilder message = new StringBuilder()
            .append("From: ").append(mail.get(1)).append("\r\n")
            .append("To: ").append(Scenario.RECIPIENT).append("\r\n")
            .append("Subject: ").append(mail.get(4)).append("\r\n")
            .append("Message-ID: <").append(mail.get(0)).append("@relayguard.test>\r\n")
            .append(ID_HEADER).append(": ").append(mail.get(0)).append("\r\n");
        if (!mail.get(3).isEmpty()) {
            message.append("X-OriginatorOrg: ").append(mail.get(3)).append("\r\n");
        }
        message.append("\r\nBody of ").append(mail.get(0)).append(".\r\n");
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty())) {
            String parameters = mail.get(2).isEmpty() ? "" : "XOORG=" + mail.get(2);
            assertThat(client.send(mail.get(1), parameters, List.of(Scenario.RECIPIENT), message.toString()).code).as(mail.get(0)).isEqualTo(250);
        }
    }

    private String pageUrl() {
        return "http://127.0.0.1:" + james.webAdminPort() + "/relayguard/review/";
    }

    private WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    private Object script(String javascript) {
        return browser.executeScript(javascript);
    }

    private void awaitPage(String what, java.util.function.BooleanSupplier condition) {
        await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(condition::getAsBoolean);
    }

    private void acceptConfirmation() {
        await("a confirmation").atMost(Duration.ofSeconds(10)).until(() -> {
            try {
                browser.switchTo().alert();
                return true;
            } catch (NoAlertPresentException e) {
                return false;
            }
        });
        browser.switchTo().alert().accept();
    }

    private Map<String, Long> countsOnPage(String table) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (WebElement row : byId(table).findElements(By.cssSelector("tbody tr"))) {
            List<WebElement> cells = row.findElements(By.tagName("td"));
            if (cells.size() == 2) {
                counts.put(cells.get(0).getText(), Long.parseLong(cells.get(1).getText()));
            }
        }
        return counts;
    }

    private List<String> rowTexts(String table) {
        return byId(table).findElements(By.cssSelector("tbody tr")).stream()
            .map(row -> row.findElements(By.tagName("td")).stream().map(WebElement::getText).collect(Collectors.joining(" | ")))
            .collect(Collectors.toList());
    }

    private static Map<String, Long> groups(JsonNode report, String dimension) {
        Map<String, Long> counts = new LinkedHashMap<>();
        report.at("/groups/" + dimension + "/groups").forEach(group ->
            counts.put(group.get("value").isNull() ? "(none)" : group.get("value").asText(), group.get("count").asLong()));
        return counts;
    }

    private List<String> listedKeys() {
        return byId("mails").findElements(By.cssSelector("tbody tr")).stream()
            .map(row -> row.getAttribute("data-key")).collect(Collectors.toList());
    }

    private void screenshot(String name, Optional<WebElement> element) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        byte[] png = element.isPresent() ? element.get().getScreenshotAs(OutputType.BYTES) : browser.getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name), png);
    }

    @Test
    @Order(1)
    void withoutATokenThePageShowsNothingOfTheQuarantineAndTheApiRefuses() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(pageUrl())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(policy ->
            assertThat(policy).contains("script-src 'self'").contains("frame-ancestors 'none'"));
        assertThat(page.body()).doesNotContain("evil");

        WebAdmin anonymous = webAdmin.anonymous();
        String key = keyOf.get("E3");
        assertThat(anonymous.get(REPORT, "application/json").status).isEqualTo(401);
        assertThat(anonymous.get(MAILS, "application/json").status).isEqualTo(401);
        assertThat(anonymous.get(MAILS + "/" + key, "application/json").status).isEqualTo(401);
        HttpResponse<String> delete = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + MAILS + "/" + key))
            .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).isEqualTo(401);
        assertThat(webAdmin.mailKeys(JamesServer.QUARANTINE)).contains(key);

        browser.get(pageUrl());
        awaitPage("the token form", () -> byId("token-panel").isDisplayed());
        assertThat(byId("content").isDisplayed()).isFalse();
        assertThat(browser.findElements(By.cssSelector("#mails tbody tr"))).isEmpty();
        assertThat((String) script("return document.documentElement.outerHTML")).doesNotContain("evil").doesNotContain("Invoice");

        // A token webadmin refuses (not an admin) shows nothing either.
        byId("token").sendKeys(jwt.token("intruder@relayguard.test", false));
        byId("token-submit").click();
        awaitPage("the refusal", () -> byId("token-reason").getText().contains("refused"));
        assertThat(byId("content").isDisplayed()).isFalse();
        assertThat((String) script("return document.documentElement.outerHTML")).doesNotContain("evil").doesNotContain("Invoice");
        screenshot("review-page-token.png", Optional.empty());
    }

    @Test
    @Order(2)
    void withTheTokenTheCountsAreTheReportsAndTheTokenStaysInTheTab() throws Exception {
        String token = james.tokenFromDistribution();
        browser.get(pageUrl());
        awaitPage("the token form", () -> byId("token-panel").isDisplayed());
        byId("token").sendKeys(token);
        byId("token-submit").click();
        awaitPage("the quarantine", () -> byId("content").isDisplayed());

        JsonNode report = webAdmin.get(REPORT, "application/json").expect(200).json();
        assertThat(byId("total").getText()).isEqualTo(String.valueOf(SENT.size())).isEqualTo(report.get("mails").asText());
        assertThat(countsOnPage("by-rule")).isEqualTo(groups(report, "rule")).containsEntry("x-originatororg", 7L).containsEntry("xoorg", 1L);
        assertThat(countsOnPage("by-tenant")).isEqualTo(groups(report, "tenant"));
        Map<String, Long> conditions = new LinkedHashMap<>();
        report.get("conditions").fields().forEachRemaining(entry -> {
            if (entry.getValue().asLong() > 0) {
                conditions.put(entry.getKey(), entry.getValue().asLong());
            }
        });
        assertThat(countsOnPage("by-condition")).isEqualTo(conditions).containsEntry("org-not-allowed", 6L).containsEntry("org-absent", 1L);
        assertThat(byId("mode").getText()).isEqualTo("enforce");
        assertThat(byId("profile").getText()).isEqualTo("hardened");
        assertThat(listedKeys()).containsExactlyInAnyOrderElementsOf(keyOf.values());
        Long charted = (Long) script("return Array.prototype.reduce.call(document.querySelectorAll('#chart rect.bar'),"
            + " function (sum, bar) { return sum + Number(bar.getAttribute('data-count')); }, 0)");
        assertThat(charted).isEqualTo(SENT.size());
        // Only our second tenant is suggested, with its evidence; the attacker and the look-alike are strangers, with what gives them away.
        assertThat(rowTexts("suggestions")).containsExactly(
            "fabrikam.onmicrosoft.com | named like your domain fabrikam.com; 1 of 1 mail from your domain fabrikam.com | 1 | 1 | What if");
        assertThat(rowTexts("suspicious")).containsExactly("nothing suspicious");
        assertThat(rowTexts("strangers")).contains(
            "evil.onmicrosoft.com | 4 of 4 mails from evil.example, not a domain of yours | 4 | 4 | What if",
            "contoso-eu.onmicrosoft.com | 1 of 1 mail from contoso-eu.example, not a domain of yours | 1 | 1 | What if");

        // What-if on the suggestion: the report's own answer, in words.
        WebElement fabrikam = byId("suggestions").findElements(By.cssSelector("tbody tr")).stream()
            .filter(row -> row.getText().startsWith("fabrikam.onmicrosoft.com")).findFirst().orElseThrow();
        fabrikam.findElement(By.cssSelector("button.what-if")).click();
        long letThrough = webAdmin.get(REPORT + "&whatIf=fabrikam.onmicrosoft.com", "application/json").expect(200).json().at("/whatIf/mails").asLong();
        awaitPage("the what-if", () -> byId("what-if-answer").getText().startsWith("Allowing"));
        assertThat(byId("what-if-answer").getText()).contains("would have let " + letThrough + " quarantined mail");

        // The what-if stays available for a stranger, to show what allowing it would let in.
        byId("strangers").findElements(By.cssSelector("tbody tr")).stream()
            .filter(row -> row.getText().startsWith("evil.onmicrosoft.com")).findFirst().orElseThrow()
            .findElement(By.cssSelector("button.what-if")).click();
        awaitPage("the stranger's what-if", () -> byId("what-if-answer").getText().startsWith("Allowing evil.onmicrosoft.com"));
        assertThat(byId("what-if-answer").getText()).contains("would have let 4 quarantined mails through");

        assertThat(script("return window.sessionStorage.getItem('relayguard.webadmin.token')")).isEqualTo(token);
        assertThat(script("return window.localStorage.length")).isEqualTo(0L);
        assertThat(script("return document.cookie")).isEqualTo("");

        // Tall enough for the whole page: Chromium's screenshot is the viewport's.
        browser.manage().window().setSize(new Dimension(1400, ((Long) script("return document.documentElement.scrollHeight")).intValue() + 200));
        screenshot("review-page.png", Optional.empty());
        browser.manage().window().setSize(new Dimension(1400, 1000));
    }

    @Test
    @Order(3)
    void markupInASubjectAndAnOrgIsShownAsTextAndRunsNothing() throws Exception {
        String key = keyOf.get("X1");
        WebElement row = byId("mails").findElement(By.cssSelector("tr[data-key='" + key + "']"));
        assertThat(row.findElement(By.cssSelector("td.subject")).getText()).isEqualTo(SUBJECT_PAYLOAD);
        assertThat(row.findElement(By.cssSelector("td.org")).getText()).isEqualTo(ORG_PAYLOAD);
        row.findElement(By.cssSelector("button.open")).click();
        awaitPage("the mail", () -> byId("details").isDisplayed() && byId("details-key").getText().equals(key));
        assertThat(byId("envelope").getText()).contains(SUBJECT_PAYLOAD);
        assertThat(byId("headers").getText()).contains(SUBJECT_PAYLOAD).contains(ORG_PAYLOAD);
        assertThat(byId("decision-line").getText()).startsWith("decision=deny action=quarantine+discard mode=enforce profile=hardened")
            .contains("mail=" + key);
        assertThat(byId("unknown-orgs").getText()).contains(ORG_PAYLOAD);
        assertThat(byId("strangers").getText()).contains(ORG_PAYLOAD);

        assertThat(script("return typeof window.pwned")).isEqualTo("undefined");
        assertThat(script("return document.getElementsByTagName('img').length")).isEqualTo(0L);
        assertThat(script("return document.scripts.length")).isEqualTo(1L);
        screenshot("review-mail.png", Optional.of(byId("details")));
    }

    @Test
    @Order(4)
    void aReleaseClickDeliversTheMailExactlyOnceAndIsLogged() throws Exception {
        String key = keyOf.get("E1");
        byId("mails").findElement(By.cssSelector("tr[data-key='" + key + "'] button.open")).click();
        awaitPage("the mail", () -> byId("details-key").getText().equals(key));
        byId("release").click();
        acceptConfirmation();
        awaitPage("the release", () -> byId("status").getText().startsWith("Released " + key));

        Outcomes outcomes = Outcomes.await(james, hops, 1, ID_HEADER, Duration.ofSeconds(30));
        assertThat(outcomes.relayed("E1") + outcomes.relayedToM365("E1")).as("%s", outcomes).isEqualTo(1);
        assertThat(outcomes.relayedCopies().values().stream().mapToInt(Integer::intValue).sum()
            + outcomes.relayedToM365Copies().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1);
        assertThat(outcomes.quarantined("E1")).isZero();
        assertThat(outcomes.errorRepositorySize()).isZero();
        assertThat(listedKeys()).doesNotContain(key).hasSize(SENT.size() - 1);
        assertThat(DecisionLog.read(james.decisionLog()).stream().filter(line -> key.equals(line.get("mail")) && "release".equals(line.get("decision"))))
            .hasSize(1);
    }

    @Test
    @Order(5)
    void deletesRemoveOneOrManyMailsAfterAConfirmationAndAreLogged() throws Exception {
        List<String> many = List.of(keyOf.get("E2"), keyOf.get("N1"));
        for (String key : many) {
            byId("mails").findElement(By.cssSelector("tr[data-key='" + key + "'] input.select")).click();
        }
        assertThat(byId("delete-selected").getText()).isEqualTo("Delete selected (2)");
        byId("delete-selected").click();
        acceptConfirmation();
        awaitPage("the delete", () -> byId("status").getText().equals("Deleted 2 mails."));
        assertThat(listedKeys()).doesNotContainAnyElementsOf(many);

        String one = keyOf.get("X1");
        byId("mails").findElement(By.cssSelector("tr[data-key='" + one + "'] button.open")).click();
        awaitPage("the mail", () -> byId("details-key").getText().equals(one));
        byId("delete").click();
        acceptConfirmation();
        awaitPage("the delete", () -> byId("status").getText().equals("Deleted 1 mail."));

        List<String> left = webAdmin.mailKeys(JamesServer.QUARANTINE);
        assertThat(left).doesNotContain(many.get(0), many.get(1), one)
            .containsExactlyInAnyOrder(keyOf.get("E3"), keyOf.get("F1"), keyOf.get("G1"), keyOf.get("L1"));
        assertThat(listedKeys()).containsExactlyInAnyOrderElementsOf(left);
        for (String key : List.of(many.get(0), many.get(1), one)) {
            assertThat(DecisionLog.read(james.decisionLog()).stream().filter(line -> key.equals(line.get("mail")) && "delete".equals(line.get("decision"))))
                .singleElement()
                .satisfies(line -> assertThat(line).containsEntry("action", "delete").containsEntry("condition", "operator-delete")
                    .containsEntry("mode", "enforce").containsEntry("profile", "hardened"));
        }
        Outcomes outcomes = Outcomes.read(james, hops, ID_HEADER);
        assertThat(outcomes.relayed("E2") + outcomes.relayed("N1") + outcomes.relayed("X1")).isZero();
        assertThat(byId("total").getText()).isEqualTo(webAdmin.get(REPORT, "application/json").expect(200).json().get("mails").asText())
            .isEqualTo("4");
    }

    @Test
    @Order(6)
    void theFilterListsOnlyTheMatchingMails() {
        byId("filter-form").findElement(By.name("originatorOrg")).sendKeys("evil");
        byId("filter-form").findElement(By.cssSelector("button[type=submit]")).click();
        awaitPage("the filter", () -> byId("matched").getText().startsWith("1 of 4"));
        assertThat(listedKeys()).containsExactly(keyOf.get("E3"));
        byId("filter-form").findElement(By.name("originatorOrg")).clear();
        byId("filter-form").findElement(By.name("rule")).sendKeys("xoorg");
        byId("filter-form").findElement(By.cssSelector("button[type=submit]")).click();
        awaitPage("the filter", () -> byId("matched").getText().startsWith("1 of 4"));
        assertThat(listedKeys()).containsExactly(keyOf.get("G1"));
    }
}
