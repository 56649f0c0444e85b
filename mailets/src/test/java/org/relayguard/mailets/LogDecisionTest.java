package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.decision.DecisionLine;
import org.relayguard.core.decision.DecisionLog;
import org.relayguard.core.mail.MailAttributes;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class LogDecisionTest {
    private static final String TENANT_ORGS = "contoso.onmicrosoft.com, contoso.com";
    private static final String BODY = "Top secret body text";

    private final RecordingMetricFactory metrics = new RecordingMetricFactory();
    private MemoryDomainList domainList;
    private final ListAppender<ILoggingEvent> decisions = new ListAppender<>();
    private final Logger decisionLogger = (Logger) LoggerFactory.getLogger(DecisionLog.LOGGER_NAME);

    @BeforeEach
    void ourDomains() throws Exception {
        domainList = new MemoryDomainList(mock(DNSService.class));
        domainList.configure(DomainListConfiguration.builder().autoDetect(false).autoDetectIp(false).build());
        for (String domain : List.of("contoso.com", "fabrikam.example", "partner.example")) {
            domainList.addDomain(Domain.of(domain));
        }
    }

    @BeforeEach
    void captureDecisionLog() {
        decisions.start();
        decisionLogger.addAppender(decisions);
    }

    @AfterEach
    void releaseDecisionLog() {
        decisionLogger.detachAppender(decisions);
    }

    private LogDecision mailet(FakeMailetConfig.Builder config) throws MessagingException {
        LogDecision mailet = new LogDecision(metrics, domainList);
        mailet.init(config.mailetName("LogDecision").build());
        return mailet;
    }

    private LogDecision deny(String enforce) throws MessagingException {
        return mailet(FakeMailetConfig.builder()
            .setProperty("decision", "deny")
            .setProperty("profile", "hardened")
            .setProperty("enforce", enforce)
            .setProperty("allowedOrgs", TENANT_ORGS));
    }

    private LogDecision release() throws MessagingException {
        return mailet(FakeMailetConfig.builder()
            .setProperty("decision", "release")
            .setProperty("profile", "proofpoint")
            .setProperty("enforce", "true"));
    }

    private static final String ORG_NOTICE = "relayguard rule=x-originatororg route=m365_mail";

    private static FakeMail mail(String sender, String... headerLines) throws MessagingException {
        String raw = "From: someone@evil.example\r\n"
            + "Subject: hello\r\n"
            + String.join("\r\n", headerLines) + (headerLines.length > 0 ? "\r\n" : "")
            + "\r\n" + BODY + "\r\n";
        FakeMail.Builder builder = FakeMail.builder()
            .name("Mail1700000000000-42")
            .recipients("a@external.example", "b@external.example")
            .remoteHost("mail-x.outbound.protection.outlook.com")
            .remoteAddr("40.107.1.2")
            .state(Mail.DEFAULT)
            .errorMessage(ORG_NOTICE)
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))));
        if (sender.isEmpty()) {
            builder.sender(org.apache.james.core.MaybeSender.nullSender());
        } else {
            builder.sender(sender);
        }
        return builder.build();
    }

    private List<String> lines() {
        return decisions.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    @Test
    void serviceShouldWriteOneLineWithEveryFieldWhenDenyingInAuditMode() throws Exception {
        deny("false").service(mail("a@evil.example", "X-OriginatorOrg: Evil.onmicrosoft.com"));

        assertThat(lines()).containsExactly("decision=deny action=quarantine+relay mode=audit profile=hardened route=m365_mail"
            + " rule=x-originatororg condition=org-not-allowed mail=Mail1700000000000-42 remoteHost=mail-x.outbound.protection.outlook.com"
            + " remoteIp=40.107.1.2 sender=a@evil.example recipients=2 originatorOrg=evil.onmicrosoft.com messageSource=- xoorg=- tenant=- tls=-");
    }

    @Test
    void serviceShouldNameTheModeAndDiscardInEnforceMode() throws Exception {
        deny("TRUE").service(mail("a@evil.example"));

        assertThat(lines()).singleElement().asString()
            .contains("decision=deny action=quarantine+discard mode=enforce")
            .contains("condition=org-absent")
            .contains("originatorOrg=-");
    }

    @Test
    void serviceShouldNameMixedInstancesAndListThemAllWhenAForgedInstanceStandsBesideAnAllowedOne() throws Exception {
        deny("false").service(mail("a@evil.example", "X-OriginatorOrg: contoso.com", "x-originatororg: EVIL.example"));

        assertThat(lines()).singleElement().asString()
            .contains("condition=org-mixed-instances")
            .contains("originatorOrg=\"contoso.com, evil.example\"");
    }

    @Test
    void serviceShouldNameOrgAllowedWhenTheOrgClauseDoesNotHold() throws Exception {
        deny("false").service(mail("a@contoso.com", "X-OriginatorOrg: CONTOSO.com"));

        assertThat(lines()).singleElement().asString().contains("condition=org-allowed");
    }

    @Test
    void serviceShouldLogTheMessageSourceHeader() throws Exception {
        deny("false").service(mail("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com",
            "X-MS-Exchange-Generated-Message-Source: Mailbox\r\n Rules Agent"));

        assertThat(lines()).singleElement().asString().endsWith("messageSource=\"mailbox rules agent\" xoorg=- tenant=- tls=-");
    }

    @Test
    void serviceShouldWriteTheNullSenderAsAngleBrackets() throws Exception {
        deny("false").service(mail(""));

        assertThat(lines()).singleElement().asString().contains(" sender=<> ");
    }

    @Test
    void serviceShouldNeverLogTheBodyNorTheSubject() throws Exception {
        deny("false").service(mail("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com"));

        assertThat(lines()).singleElement().asString()
            .doesNotContain(BODY)
            .doesNotContain("hello");
    }

    @Test
    void serviceShouldQuoteAHeaderValueSoThatItCannotForgeAnotherKey() throws Exception {
        deny("false").service(mail("a@evil.example", "X-OriginatorOrg: x condition=org-allowed \"mode=audit"));

        assertThat(lines()).singleElement().asString()
            .contains("condition=org-not-allowed")
            .contains("originatorOrg=\"x condition=org-allowed \\\"mode=audit\"");
    }

    @Test
    void serviceShouldCutAnOverlongHeaderValue() throws Exception {
        deny("false").service(mail("a@evil.example", "X-OriginatorOrg: " + "a".repeat(5000)));

        assertThat(lines()).singleElement().asString()
            .contains("a".repeat(DecisionLine.MAX_VALUE_LENGTH) + "...")
            .doesNotContain("a".repeat(DecisionLine.MAX_VALUE_LENGTH + 1));
    }

    @Test
    void serviceShouldNameUnreadableHeadersAndStillCount() throws Exception {
        MimeMessage unreadable = new MimeMessage(Session.getInstance(new Properties())) {
            @Override
            public String[] getHeader(String name) throws MessagingException {
                throw new MessagingException("message content is unavailable");
            }
        };
        FakeMail mail = FakeMail.builder().name("unreadable").sender("a@evil.example").recipient("a@external.example")
            .errorMessage(ORG_NOTICE).mimeMessage(unreadable).build();

        deny("false").service(mail);

        assertThat(lines()).singleElement().asString().contains("condition=headers-unreadable");
        assertThat(metrics.countFor(LogDecision.DENIED_METRIC)).isEqualTo(1);
    }

    @Test
    void serviceShouldCountDeniedButNotDiscardedInAuditMode() throws Exception {
        LogDecision mailet = deny("false");
        mailet.service(mail("a@evil.example"));
        mailet.service(mail("a@evil.example"));

        assertThat(metrics.countFor(LogDecision.DENIED_METRIC)).isEqualTo(2);
        assertThat(metrics.countFor(LogDecision.DISCARDED_METRIC)).isZero();
        assertThat(metrics.countFor(LogDecision.RELEASED_METRIC)).isZero();
    }

    @Test
    void serviceShouldCountDeniedAndDiscardedInEnforceMode() throws Exception {
        deny("true").service(mail("a@evil.example"));

        assertThat(metrics.countFor(LogDecision.DENIED_METRIC)).isEqualTo(1);
        assertThat(metrics.countFor(LogDecision.DISCARDED_METRIC)).isEqualTo(1);
    }

    @Test
    void serviceShouldWriteAReleaseLineAndCountIt() throws Exception {
        release().service(mail("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com"));

        assertThat(lines()).singleElement().asString()
            .startsWith("decision=release action=deliver mode=enforce profile=proofpoint route=m365_mail rule=x-originatororg"
                + " condition=operator-release mail=Mail1700000000000-42 ")
            .endsWith("originatorOrg=evil.onmicrosoft.com messageSource=- xoorg=- tenant=- tls=-");
        assertThat(metrics.countFor(LogDecision.RELEASED_METRIC)).isEqualTo(1);
        assertThat(metrics.countFor(LogDecision.DENIED_METRIC)).isZero();
    }

    @Test
    void serviceShouldLeaveTheMailUntouchedButTheRuleNotice() throws Exception {
        FakeMail mail = mail("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com");
        mail.setErrorMessage("earlier error\r\n" + ORG_NOTICE);

        deny("true").service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(mail.getRecipients()).containsExactly(new MailAddress("a@external.example"), new MailAddress("b@external.example"));
        assertThat(mail.getErrorMessage()).isEqualTo("earlier error");
    }

    @Test
    void serviceShouldTakeTheOnlyNoticeOffTheMail() throws Exception {
        FakeMail mail = mail("a@evil.example");

        release().service(mail);

        assertThat(mail.getErrorMessage()).isNull();
    }

    @Test
    void serviceShouldNameTheSessionTenantRuleAndItsReason() throws Exception {
        FakeMail mail = mail("a@evil.example", "X-OriginatorOrg: contoso.com");
        mail.setErrorMessage("relayguard rule=xoorg route=m365_xoorg");
        mail.setAttribute(new Attribute(AttributeName.of("org.relayguard.xoorg"), AttributeValue.of("evil.onmicrosoft.com")));

        deny("false").service(mail);

        assertThat(lines()).singleElement().asString()
            .contains(" route=m365_xoorg rule=xoorg condition=xoorg-not-allowed ")
            .contains(" originatorOrg=contoso.com ")
            .endsWith(" xoorg=evil.onmicrosoft.com tenant=- tls=-");
    }

    @Test
    void serviceShouldLogTheTlsProtocolOfTheSmtpSession() throws Exception {
        FakeMail mail = mail("a@evil.example");
        mail.setAttribute(new Attribute(MailAttributes.TLS, AttributeValue.of("TLSv1.3")));

        deny("false").service(mail);

        assertThat(lines()).singleElement().asString().endsWith(" xoorg=- tenant=- tls=TLSv1.3");
    }

    @Test
    void serviceShouldLogNoneForASessionInClearText() throws Exception {
        FakeMail mail = mail("a@evil.example");
        mail.setAttribute(new Attribute(MailAttributes.TLS, AttributeValue.of("none")));

        release().service(mail);

        assertThat(lines()).singleElement().asString().endsWith(" tls=none");
    }

    @Test
    void serviceShouldNotTrustATlsAttributeThatIsNotAString() throws Exception {
        FakeMail mail = mail("a@evil.example");
        mail.setAttribute(new Attribute(MailAttributes.TLS, AttributeValue.of(13)));

        deny("false").service(mail);

        assertThat(lines()).singleElement().asString().endsWith(" tls=not-a-string");
    }

    @Test
    void serviceShouldNameAMissingSecret() throws Exception {
        FakeMail mail = mail("a@evil.example", "X-OriginatorOrg: contoso.com");
        mail.setErrorMessage("relayguard rule=secret-header route=root");

        deny("true").service(mail);

        assertThat(lines()).singleElement().asString().contains(" route=root rule=secret-header condition=secret-missing ");
    }

    @Test
    void serviceShouldWriteAbsentRuleAndRouteAndJudgeTheOrgClauseWithoutNotice() throws Exception {
        FakeMail mail = mail("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com");
        mail.setErrorMessage(null);

        deny("false").service(mail);

        assertThat(lines()).singleElement().asString().contains(" route=- rule=- condition=org-not-allowed ");
    }

    private static final String CONTOSO = "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com; smarthost mx.contoso.com";
    private static final String TWO_TENANTS = CONTOSO
        + " | fabrikam: orgs fabrikam.onmicrosoft.com, fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example";
    private static final String BOTH_TENANTS_ORGS = "contoso.onmicrosoft.com, contoso.com, fabrikam.onmicrosoft.com, Fabrikam.example";

    private LogDecision withTenants(String decision, String allowedOrgs, String tenants) throws MessagingException {
        FakeMailetConfig.Builder config = FakeMailetConfig.builder()
            .setProperty("decision", decision)
            .setProperty("profile", "hardened")
            .setProperty("enforce", "false")
            .setProperty("tenants", tenants);
        if (allowedOrgs != null) {
            config.setProperty("allowedOrgs", allowedOrgs);
        }
        return mailet(config);
    }

    @Test
    void serviceShouldNameTheTenantOfATenantBindingDenial() throws Exception {
        FakeMail mail = mail("ceo@fabrikam.example", "X-OriginatorOrg: contoso.com");
        mail.setErrorMessage("relayguard rule=tenant-binding route=m365_mail");

        withTenants("deny", BOTH_TENANTS_ORGS, TWO_TENANTS).service(mail);

        assertThat(lines()).singleElement().asString()
            .contains(" route=m365_mail rule=tenant-binding condition=tenant-mismatch ")
            .contains(" sender=ceo@fabrikam.example ")
            .endsWith(" xoorg=- tenant=contoso tls=-");
    }

    @Test
    void serviceShouldNameBothTenantsOfAConflict() throws Exception {
        FakeMail mail = mail("ceo@fabrikam.example", "X-OriginatorOrg: fabrikam.example", "X-OriginatorOrg: contoso.com");
        mail.setErrorMessage("relayguard rule=tenant-binding route=m365_mail");

        withTenants("deny", BOTH_TENANTS_ORGS, TWO_TENANTS).service(mail);

        assertThat(lines()).singleElement().asString()
            .contains(" rule=tenant-binding condition=tenant-conflict ")
            .endsWith(" xoorg=- tenant=contoso,fabrikam tls=-");
    }

    @Test
    void serviceShouldNameADomainListDomainNoTenantOwns() throws Exception {
        FakeMail mail = mail("a@partner.example", "X-OriginatorOrg: contoso.com");
        mail.setErrorMessage("relayguard rule=tenant-binding route=m365_mail");

        withTenants("deny", BOTH_TENANTS_ORGS, TWO_TENANTS).service(mail);

        assertThat(lines()).singleElement().asString()
            .contains(" condition=domain-unowned ")
            .endsWith(" tenant=contoso tls=-");
    }

    @Test
    void serviceShouldNameTheSessionTenantOverTheHeaders() throws Exception {
        FakeMail mail = mail("a@contoso.com", "X-OriginatorOrg: contoso.com");
        mail.setErrorMessage("relayguard rule=tenant-binding route=m365_xoorg");
        mail.setAttribute(new Attribute(AttributeName.of("org.relayguard.xoorg"), AttributeValue.of("fabrikam.onmicrosoft.com")));

        withTenants("deny", BOTH_TENANTS_ORGS, TWO_TENANTS).service(mail);

        assertThat(lines()).singleElement().asString()
            .contains(" condition=tenant-mismatch ")
            .endsWith(" xoorg=fabrikam.onmicrosoft.com tenant=fabrikam tls=-");
    }

    @Test
    void serviceShouldWriteNoTenantForAForeignTenant() throws Exception {
        withTenants("deny", BOTH_TENANTS_ORGS, TWO_TENANTS).service(mail("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com"));

        assertThat(lines()).singleElement().asString().contains(" condition=org-not-allowed ").endsWith(" tenant=- tls=-");
    }

    @Test
    void aLoneTenantWithoutOrgsIsNamedByTheAllowedOrgsInDenyAndReleaseLines() throws Exception {
        String shipped = "contoso: domains @domainlist; smarthost mx.contoso.com";

        withTenants("deny", TENANT_ORGS, shipped).service(mail("a@evil.example", "X-OriginatorOrg: Contoso.com"));
        withTenants("release", TENANT_ORGS, shipped).service(mail("a@evil.example", "X-OriginatorOrg: contoso.com"));
        withTenants("release", null, shipped).service(mail("a@evil.example", "X-OriginatorOrg: contoso.com"));

        assertThat(lines()).extracting(line -> line.replaceAll(".* (tenant=\\S+) .*", "$1"))
            .containsExactly("tenant=contoso", "tenant=contoso", "tenant=-");
    }

    @Test
    void initShouldThrowWhenATenantsOrgIsNotAnAllowedOrg() {
        assertThatThrownBy(() -> withTenants("deny", "contoso.onmicrosoft.com, contoso.com, fabrikam.onmicrosoft.com", TWO_TENANTS))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: org 'fabrikam.example' of tenant 'fabrikam' is not in 'allowedOrgs' (tenantOrgs must list every tenant's orgs)");
    }

    @Test
    void initShouldThrowWhenAnAllowedOrgIsNoTenantsOrg() {
        assertThatThrownBy(() -> withTenants("release", BOTH_TENANTS_ORGS + ", northwind.example", TWO_TENANTS))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: 'allowedOrgs' value 'northwind.example' is the org of no tenant in 'tenants'");
    }

    @Test
    void initShouldThrowNamingTheTenantOfABadDescription() {
        assertThatThrownBy(() -> withTenants("deny", BOTH_TENANTS_ORGS, CONTOSO + " | fabrikam: orgs fabrikam.example; domains contoso.com; smarthost mx"))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: tenant 'fabrikam': domain 'contoso.com' is claimed by tenant 'contoso' too");
    }

    @Test
    void initShouldThrowWhenDecisionIsMissing() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("profile", "hardened").setProperty("enforce", "false")))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: parameter 'decision' is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"denied", "quarantine", "allow"})
    void initShouldThrowWhenDecisionIsUnknown(String decision) {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", decision).setProperty("profile", "hardened")
                .setProperty("enforce", "false").setProperty("allowedOrgs", TENANT_ORGS)))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("LogDecision: parameter 'decision' must be 'deny' or 'release'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "1", "${env:RELAYGUARD_ENFORCE}"})
    void initShouldThrowWhenEnforceIsNotABoolean(String enforce) {
        assertThatThrownBy(() -> deny(enforce))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("LogDecision: parameter 'enforce' must be 'true' or 'false'");
    }

    @Test
    void initShouldThrowWhenEnforceIsEmpty() {
        assertThatThrownBy(() -> deny(""))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: parameter 'enforce' is required");
    }

    @Test
    void initShouldThrowWhenEnforceIsMissing() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", "release").setProperty("profile", "hardened")))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: parameter 'enforce' is required");
    }

    @Test
    void initShouldThrowWhenADenyHasNoAllowedOrgs() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", "deny").setProperty("profile", "hardened")
                .setProperty("enforce", "false")))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("LogDecision: parameter 'allowedOrgs' is required for decision=deny");
    }

    @Test
    void initShouldThrowWhenAllowedOrgsHasNoValue() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", "deny").setProperty("profile", "hardened")
                .setProperty("enforce", "false").setProperty("allowedOrgs", " , ")))
            .isInstanceOf(MessagingException.class)
            .hasMessage("LogDecision: parameter 'allowedOrgs' has no value");
    }

    @Test
    void initShouldThrowWhenAReleaseHasAllowedOrgs() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", "release").setProperty("profile", "hardened")
                .setProperty("enforce", "false").setProperty("allowedOrgs", TENANT_ORGS)))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("LogDecision: parameter 'allowedOrgs' is only for decision=deny");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "two words", "a=b", "quo\"te"})
    void initShouldThrowWhenALabelIsNotOneWord(String profile) {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", "release").setProperty("profile", profile)
                .setProperty("enforce", "false")))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("LogDecision: parameter 'profile'");
    }

    @Test
    void initShouldThrowWhenAnUnknownParameterIsGiven() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .setProperty("decision", "release").setProperty("profile", "hardened")
                .setProperty("enforce", "false").setProperty("condition", "x")))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("LogDecision")
            .hasMessageContaining("condition");
    }

    @Test
    void getMailetInfoShouldTellTheDecisionAndMode() throws Exception {
        assertThat(deny("true").getMailetInfo()).isEqualTo("LogDecision (decision=DENY, enforce=true)");
    }
}
