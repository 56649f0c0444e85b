package org.relayguard.core.decision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relayguard.core.mail.TestMails.withHeaders;
import static org.relayguard.core.mail.TestMails.withXoorg;

import java.util.List;

import javax.mail.MessagingException;

import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.TestMails;
import org.relayguard.core.tenants.Tenants;
import org.relayguard.core.tenants.TestTenants;

class DenyReasonTest {
    private static final List<String> ALLOWED = HeaderValues.normaliseList("contoso.onmicrosoft.com, Contoso.com");
    private static final String ORG_NOTICE = "relayguard rule=x-originatororg route=m365_mail";
    private static final String XOORG_NOTICE = "relayguard rule=xoorg route=m365_xoorg";

    private static FakeMail mail(String notice, String... headers) throws MessagingException {
        FakeMail mail = withHeaders(headers);
        mail.setErrorMessage(notice);
        return mail;
    }

    @Test
    void ofShouldTakeRuleAndRouteFromTheNoticeAndJudgeTheOrgClause() throws Exception {
        DenyReason reason = DenyReason.of(mail(ORG_NOTICE, "X-OriginatorOrg: Evil.onmicrosoft.com"), ALLOWED);

        assertThat(reason.rule()).contains("x-originatororg");
        assertThat(reason.route()).contains("m365_mail");
        assertThat(reason.condition()).isEqualTo("org-not-allowed");
        assertThat(reason.originatorOrgs()).contains(List.of("evil.onmicrosoft.com"));
    }

    @Test
    void ofShouldJudgeTheOrgClauseWhenThereIsNoNotice() throws Exception {
        DenyReason reason = DenyReason.of(mail(null, "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: evil.example"), ALLOWED);

        assertThat(reason.rule()).isEmpty();
        assertThat(reason.route()).isEmpty();
        assertThat(reason.condition()).isEqualTo("org-mixed-instances");
    }

    @Test
    void ofShouldUseTheLastNoticeAndIgnoreOtherErrorLines() throws Exception {
        DenyReason reason = DenyReason.of(mail("some earlier error\r\n" + ORG_NOTICE + "\r\n" + XOORG_NOTICE), ALLOWED);

        assertThat(reason.rule()).contains("xoorg");
        assertThat(reason.route()).contains("m365_xoorg");
    }

    @Test
    void ofShouldNameAMissingSessionTenant() throws Exception {
        assertThat(DenyReason.of(mail(XOORG_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED).condition()).isEqualTo("xoorg-absent");
    }

    @Test
    void ofShouldNameAForeignSessionTenantWhateverTheHeadersSay() throws Exception {
        DenyReason reason = DenyReason.of(withXoorg(mail(XOORG_NOTICE, "X-OriginatorOrg: contoso.com"), "Evil.onmicrosoft.com."), ALLOWED);

        assertThat(reason.condition()).isEqualTo("xoorg-not-allowed");
        assertThat(reason.xoorg()).contains("evil.onmicrosoft.com");
    }

    @Test
    void ofShouldSayXoorgAllowedWhenTheSessionTenantIsAllowed() throws Exception {
        assertThat(DenyReason.of(withXoorg(mail(XOORG_NOTICE), "CONTOSO.com"), ALLOWED).condition()).isEqualTo("xoorg-allowed");
    }

    @Test
    void ofShouldNameAMissingSecret() throws Exception {
        assertThat(DenyReason.of(mail("relayguard rule=secret-header route=root"), ALLOWED).condition()).isEqualTo("secret-missing");
    }

    @Test
    void ofShouldNameAnUnknownRule() throws Exception {
        assertThat(DenyReason.of(mail("relayguard rule=other route=x"), ALLOWED).condition()).isEqualTo("unknown-rule");
    }

    @Test
    void ofShouldNameUnreadableHeaders() throws Exception {
        FakeMail unreadable = TestMails.withUnreadableHeaders();
        unreadable.setErrorMessage(ORG_NOTICE);

        DenyReason reason = DenyReason.of(unreadable, ALLOWED);

        assertThat(reason.condition()).isEqualTo("headers-unreadable");
        assertThat(reason.originatorOrgs()).isEmpty();
        assertThat(reason.deniedWith(List.of("anything"))).isTrue();
    }

    @Test
    void deniedWithShouldApplyTheOrgRuleToAnotherAllowedList() throws Exception {
        DenyReason reason = DenyReason.of(mail(ORG_NOTICE, "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: fabrikam.com"), ALLOWED);

        assertThat(reason.deniedWith(ALLOWED)).isTrue();
        assertThat(reason.deniedWith(List.of("contoso.com", "fabrikam.com"))).isFalse();
        assertThat(reason.deniedWith(List.of("fabrikam.com"))).isTrue();
        assertThat(reason.notAllowedValues(ALLOWED)).containsExactly("fabrikam.com");
    }

    @Test
    void deniedWithShouldApplyTheXoorgRuleToAnotherAllowedList() throws Exception {
        DenyReason reason = DenyReason.of(withXoorg(mail(XOORG_NOTICE, "X-OriginatorOrg: evil.example"), "fabrikam.onmicrosoft.com"), ALLOWED);

        assertThat(reason.deniedWith(ALLOWED)).isTrue();
        assertThat(reason.deniedWith(List.of("fabrikam.onmicrosoft.com"))).isFalse();
        assertThat(reason.notAllowedValues(ALLOWED)).containsExactly("fabrikam.onmicrosoft.com");
    }

    @Test
    void aMissingSecretOrSessionTenantStaysDeniedWhateverTheList() throws Exception {
        assertThat(DenyReason.of(mail("relayguard rule=secret-header route=root", "X-OriginatorOrg: contoso.com"), ALLOWED).deniedWith(ALLOWED)).isTrue();
        assertThat(DenyReason.of(mail(XOORG_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED).deniedWith(ALLOWED)).isTrue();
        assertThat(DenyReason.of(mail(XOORG_NOTICE), ALLOWED).notAllowedValues(ALLOWED)).isEmpty();
    }

    private static final String TENANT_NOTICE = "relayguard rule=tenant-binding route=m365_mail";

    private static FakeMail from(String sender, String notice, String... headers) throws MessagingException {
        FakeMail mail = FakeMail.builder()
            .name("mail")
            .sender(sender)
            .recipient(TestMails.RECIPIENT)
            .mimeMessage(TestMails.message(headers))
            .build();
        mail.setErrorMessage(notice);
        return mail;
    }

    private static Tenants twoTenants() throws MessagingException {
        return TestTenants.parse(TestTenants.TWO_TENANTS);
    }

    @Test
    void ofShouldNameATenantMismatchAndTheIdentifiedTenant() throws Exception {
        DenyReason reason = DenyReason.of(from("ceo@fabrikam.example", TENANT_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED, twoTenants());

        assertThat(reason.rule()).contains("tenant-binding");
        assertThat(reason.route()).contains("m365_mail");
        assertThat(reason.condition()).isEqualTo("tenant-mismatch");
        assertThat(reason.tenant()).contains("contoso");
    }

    @Test
    void ofShouldIdentifyTheTenantByTheSessionFirst() throws Exception {
        DenyReason reason = DenyReason.of(withXoorg(from("ceo@contoso.com", TENANT_NOTICE, "X-OriginatorOrg: contoso.com"), "fabrikam.example"),
            ALLOWED, twoTenants());

        assertThat(reason.condition()).isEqualTo("tenant-mismatch");
        assertThat(reason.tenant()).contains("fabrikam");
    }

    @Test
    void ofShouldSayWhenTheBindingNoLongerHolds() throws Exception {
        Tenants tenants = twoTenants();

        assertThat(DenyReason.of(from("a@contoso.com", TENANT_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED, tenants).condition())
            .isEqualTo("tenant-allowed");
        assertThat(DenyReason.of(from("a@evil.example", TENANT_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED, withDomainListTenant())
            .condition()).as("evil.example can only be contoso's, by the DomainList").isEqualTo("tenant-allowed");
        assertThat(DenyReason.of(from("ceo@fabrikam.example", TENANT_NOTICE, "X-OriginatorOrg: evil.example"), ALLOWED, tenants).condition())
            .isEqualTo("tenant-unidentified");
        assertThat(DenyReason.of(from("ceo@fabrikam.example", TENANT_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED).condition())
            .as("no tenants description: nobody identified").isEqualTo("tenant-unidentified");
    }

    @Test
    void ofShouldNameAConflictAndBothTenants() throws Exception {
        DenyReason reason = DenyReason.of(from("ceo@fabrikam.example", TENANT_NOTICE, "X-OriginatorOrg: fabrikam.example",
            "X-OriginatorOrg: contoso.com"), ALLOWED, twoTenants());

        assertThat(reason.condition()).isEqualTo("tenant-conflict");
        assertThat(reason.tenant()).contains("contoso,fabrikam");
        assertThat(reason.deniedWith(ALLOWED)).as("no allowed-list change lifts it").isTrue();
    }

    @Test
    void ofShouldNameADomainNoTenantOwns() throws Exception {
        // Both tenants list their domains: the binding denied a domain no tenant lists only because
        // James's DomainList held it.
        FakeMail mail = from("a@partner.example", TENANT_NOTICE, "X-OriginatorOrg: contoso.com");
        DenyReason reason = DenyReason.of(mail, ALLOWED, twoTenants(), domain -> domain.asString().equals("partner.example"));

        assertThat(reason.condition()).isEqualTo("domain-unowned");
        assertThat(reason.tenant()).contains("contoso");
        assertThat(DenyReason.of(mail, ALLOWED, twoTenants(), domain -> false).condition())
            .as("not in the DomainList: the binding cannot have denied it, it failed").isEqualTo("tenant-allowed");
    }

    @Test
    void ofShouldNameAMismatchWhenTheSessionTenantIsNoneOfOurs() throws Exception {
        DenyReason reason = DenyReason.of(withXoorg(from("ceo@fabrikam.example", TENANT_NOTICE, "X-OriginatorOrg: fabrikam.example"),
            "evil.onmicrosoft.com"), ALLOWED, twoTenants());

        assertThat(reason.condition()).isEqualTo("tenant-mismatch");
        assertThat(reason.tenant()).isEmpty();
    }

    private static Tenants withDomainListTenant() throws Exception {
        return TestTenants.parse("contoso: orgs contoso.com; domains @domainlist; smarthost mx.contoso.com"
            + " | fabrikam: orgs fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example");
    }

    @Test
    void ofShouldTakeTheDomainListTenantAsTheOwnerOfADomainNoTenantLists() throws Exception {
        Tenants tenants = withDomainListTenant();

        assertThat(DenyReason.of(from("a@contoso.eu", TENANT_NOTICE, "X-OriginatorOrg: fabrikam.example"), ALLOWED, tenants).condition())
            .isEqualTo("tenant-mismatch");
    }

    @Test
    void ofShouldNameUnreadableHeadersOfATenantBindingDenial() throws Exception {
        FakeMail unreadable = TestMails.withUnreadableHeaders("ceo@fabrikam.example");
        unreadable.setErrorMessage(TENANT_NOTICE);

        DenyReason reason = DenyReason.of(unreadable, ALLOWED, twoTenants());

        assertThat(reason.condition()).isEqualTo("headers-unreadable");
        assertThat(reason.tenant()).isEmpty();
    }

    @Test
    void everyRuleNamesTheIdentifiedTenant() throws Exception {
        Tenants tenants = twoTenants();

        assertThat(DenyReason.of(mail(ORG_NOTICE, "X-OriginatorOrg: fabrikam.example"), ALLOWED, tenants).tenant()).contains("fabrikam");
        assertThat(DenyReason.of(mail(ORG_NOTICE, "X-OriginatorOrg: evil.example"), ALLOWED, tenants).tenant()).isEmpty();
        assertThat(DenyReason.of(mail(ORG_NOTICE, "X-OriginatorOrg: fabrikam.example"), ALLOWED).tenant()).isEmpty();
    }

    @Test
    void ofShouldJudgeTheFromDomainsOfAFromBindingDenial() throws Exception {
        String notice = "relayguard rule=from-binding route=m365_xoorg";
        Tenants tenants = twoTenants();

        DenyReason mismatch = DenyReason.of(from("a@contoso.com", notice, "From: a@contoso.com, \"CEO\" <ceo@fabrikam.example>",
            "X-OriginatorOrg: contoso.com"), ALLOWED, tenants);
        assertThat(mismatch.rule()).contains("from-binding");
        assertThat(mismatch.condition()).isEqualTo("tenant-mismatch");
        assertThat(mismatch.tenant()).contains("contoso");
        assertThat(mismatch.deniedWith(List.of("contoso.com", "fabrikam.example"))).isTrue();
        assertThat(DenyReason.of(from("a@contoso.com", notice, "From: a@contoso.com", "X-OriginatorOrg: contoso.com"), ALLOWED, tenants)
            .condition()).isEqualTo("tenant-allowed");
        FakeMail unreadable = TestMails.withUnreadableHeaders("a@contoso.com");
        unreadable.setErrorMessage(notice);
        assertThat(DenyReason.of(unreadable, ALLOWED, tenants).condition()).isEqualTo("headers-unreadable");
    }

    @Test
    void aTenantBindingDenialStaysDeniedWhateverOrgsAreAdded() throws Exception {
        DenyReason reason = DenyReason.of(from("ceo@fabrikam.example", TENANT_NOTICE, "X-OriginatorOrg: contoso.com"), ALLOWED, twoTenants());

        assertThat(reason.deniedWith(ALLOWED)).isTrue();
        assertThat(reason.deniedWith(List.of("contoso.com", "fabrikam.example", "fabrikam.onmicrosoft.com"))).isTrue();
        assertThat(reason.notAllowedValues(ALLOWED)).isEmpty();
    }

    @Test
    void withoutNoticeShouldKeepOtherLinesOnly() {
        assertThat(DenyReason.withoutNotice("earlier\r\n" + ORG_NOTICE)).contains("earlier");
        assertThat(DenyReason.withoutNotice(ORG_NOTICE)).isEmpty();
        assertThat(DenyReason.withoutNotice(null)).isEmpty();
    }

    @Test
    void conditionsShouldListEveryToken() {
        assertThat(DenyReason.CONDITIONS).containsExactly("org-absent", "org-not-allowed", "org-mixed-instances", "org-allowed",
            "xoorg-absent", "xoorg-not-allowed", "xoorg-allowed", "tenant-mismatch", "tenant-conflict", "domain-unowned",
            "tenant-unidentified", "tenant-allowed",
            "secret-missing", "headers-unreadable", "unknown-rule");
    }
}
