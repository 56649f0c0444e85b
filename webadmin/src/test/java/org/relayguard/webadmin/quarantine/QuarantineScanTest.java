package org.relayguard.webadmin.quarantine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;
import static org.relayguard.webadmin.quarantine.QuarantineMails.T0;
import static org.relayguard.webadmin.quarantine.QuarantineMails.mail;
import static org.relayguard.webadmin.quarantine.QuarantineMails.org;
import static org.relayguard.webadmin.quarantine.QuarantineMails.xoorg;

import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.mailrepository.memory.MemoryMailRepository;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.dto.QuarantineReport;
import org.relayguard.webadmin.dto.ReportParameters;

class QuarantineScanTest {
    private static final AllowedOrgs ALLOWED = AllowedOrgs.of(List.of("contoso.onmicrosoft.com", "contoso.com"), "test");
    private static final List<String> DOMAIN_LIST = List.of("contoso.com", "Fabrikam.com");

    private static QuarantineScan scan(Optional<List<String>> whatIf) {
        return new QuarantineScan(ALLOWED, new ReportParameters(20, 3, whatIf), QuarantineScan.DEFAULT_MAX_GROUPS, DOMAIN_LIST);
    }

    private static QuarantineReport report(QuarantineScan scan, Mail... mails) {
        for (Mail mail : mails) {
            scan.add(mail.getName(), mail);
        }
        return scan.finish("var/mail/m365-relaydeny");
    }

    private static QuarantineReport report(Mail... mails) {
        return report(scan(Optional.empty()), mails);
    }

    @Test
    void groupsShouldCountEveryMailExactlyInEachDimension() throws Exception {
        QuarantineReport report = report(
            org("m1", 1, "evil.onmicrosoft.com"),
            org("m2", 2, "evil.onmicrosoft.com"),
            mail("m3", "b@other.example", "mail-y.outbound.protection.outlook.com", 3,
                "X-OriginatorOrg: other.example", "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent"),
            mail("m4", "", "mail-x.outbound.protection.outlook.com", 4));

        assertThat(report.getMails()).isEqualTo(4);
        assertThat(report.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("evil.onmicrosoft.com", 2L), tuple(null, 1L), tuple("other.example", 1L));
        assertThat(report.getGroups().get("messageSource").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple(null, 3L), tuple("mailbox rules agent", 1L));
        assertThat(report.getGroups().get("envelopeSenderDomain").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("evil.example", 2L), tuple(null, 1L), tuple("other.example", 1L));
        assertThat(report.getGroups().get("remoteHost").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("mail-x.outbound.protection.outlook.com", 3L), tuple("mail-y.outbound.protection.outlook.com", 1L));
    }

    @Test
    void originatorOrgGroupsShouldCollapseCaseWhitespaceAndEncodingVariants() throws Exception {
        QuarantineReport report = report(
            org("m1", 1, "Evil.OnMicrosoft.com"),
            org("m2", 2, "evil.onmicrosoft.com  "),
            org("m3", 3, "=?utf-8?q?EVIL.onmicrosoft.com?="));

        assertThat(report.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("evil.onmicrosoft.com", 3L));
    }

    @Test
    void aForgedSecondInstanceShouldFormItsOwnGroupNamedMixedInstances() throws Exception {
        QuarantineReport report = report(
            org("m1", 1, "contoso.com", "evil.example"),
            org("m2", 2, "contoso.com"));

        assertThat(report.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, group -> group.getCondition().orElseThrow(), Group::getCount)
            .containsExactly(
                tuple("contoso.com", "org-allowed", 1L),
                tuple("contoso.com, evil.example", "org-mixed-instances", 1L));
        assertThat(report.getConditions())
            .containsEntry("org-mixed-instances", 1L)
            .containsEntry("org-allowed", 1L)
            .containsEntry("org-absent", 0L);
    }

    @Test
    void conditionsShouldCountEveryMailByTheReasonOfTheOrgClause() throws Exception {
        QuarantineReport report = report(
            org("m1", 1),
            org("m2", 2, "evil.onmicrosoft.com"),
            org("m3", 3, "evil.onmicrosoft.com"),
            org("m4", 4, "contoso.com", "evil.example"),
            org("m5", 5, "contoso.com"));

        assertThat(report.getConditions()).containsExactly(
            entry("org-absent", 1L),
            entry("org-not-allowed", 2L),
            entry("org-mixed-instances", 1L),
            entry("org-allowed", 1L),
            entry("xoorg-absent", 0L),
            entry("xoorg-not-allowed", 0L),
            entry("xoorg-allowed", 0L),
            entry("tenant-mismatch", 0L),
            entry("tenant-conflict", 0L),
            entry("domain-unowned", 0L),
            entry("tenant-unidentified", 0L),
            entry("tenant-allowed", 0L),
            entry("secret-missing", 0L),
            entry("headers-unreadable", 0L),
            entry("unknown-rule", 0L));
    }

    private static final AllowedOrgs BOTH_TENANTS = AllowedOrgs.of(
        List.of("contoso.onmicrosoft.com", "contoso.com", "fabrikam.onmicrosoft.com", "fabrikam.example"), "test");

    private static QuarantineScan twoTenants(Optional<List<String>> whatIf) throws MessagingException {
        ConfiguredTenants tenants = ConfiguredTenants.of(org.relayguard.core.tenants.Tenants.parse("test",
            "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com; smarthost mx.contoso.com"
                + " | fabrikam: orgs fabrikam.onmicrosoft.com, fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example"), "test");
        return new QuarantineScan(BOTH_TENANTS, tenants, new ReportParameters(20, 3, whatIf), QuarantineScan.DEFAULT_MAX_GROUPS, DOMAIN_LIST);
    }

    /** A mail the tenant-binding rule quarantined. */
    private static FakeMail binding(String name, int minute, String sender, String... headers) throws MessagingException {
        FakeMail mail = mail(name, sender, "mail-x.outbound.protection.outlook.com", minute, headers);
        mail.setErrorMessage("relayguard rule=tenant-binding route=m365_mail");
        return mail;
    }

    @Test
    void theTenantDimensionShouldCountMailsByTheTenantTheyComeFrom() throws Exception {
        QuarantineReport report = report(twoTenants(Optional.empty()),
            binding("m1", 1, "ceo@fabrikam.example", "X-OriginatorOrg: contoso.com"),
            binding("m2", 2, "ceo@fabrikam.example", "X-OriginatorOrg: Contoso.onmicrosoft.com"),
            binding("m3", 3, "ceo@contoso.com", "X-OriginatorOrg: fabrikam.example"),
            org("m4", 4, "evil.onmicrosoft.com"));

        assertThat(report.getGroups().get("tenant").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("contoso", 2L), tuple(null, 1L), tuple("fabrikam", 1L));
        assertThat(report.getConditions())
            .containsEntry("tenant-mismatch", 3L)
            .containsEntry("org-not-allowed", 1L);
        assertThat(report.getGroups().get("rule").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("tenant-binding", 3L), tuple(null, 1L));
        assertThat(report.getTenants().getNames()).containsExactly("contoso", "fabrikam");
    }

    @Test
    void aConflictShouldBeCountedUnderItsOwnConditionAndUnderBothTenants() throws Exception {
        QuarantineReport report = report(twoTenants(Optional.of(List.of("evil.onmicrosoft.com"))),
            binding("m1", 1, "ceo@fabrikam.example", "X-OriginatorOrg: fabrikam.example", "X-OriginatorOrg: contoso.com"),
            binding("m2", 2, "ceo@fabrikam.example", "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: Fabrikam.onmicrosoft.com"),
            binding("m3", 3, "ceo@fabrikam.example", "X-OriginatorOrg: contoso.com"));

        assertThat(report.getConditions()).containsEntry("tenant-conflict", 2L).containsEntry("tenant-mismatch", 1L);
        assertThat(report.getGroups().get("tenant").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .as("one group whatever the order of the instances")
            .containsExactly(tuple("contoso,fabrikam", 2L), tuple("contoso", 1L));
        assertThat(report.getWhatIf().orElseThrow().getStillDenied()).as("no allowed-list change lifts a conflict").isEqualTo(3);
    }

    @Test
    void theWhatIfShouldNeverLetATenantBindingDenialThroughNorSuggestItsOrg() throws Exception {
        QuarantineReport report = report(twoTenants(Optional.of(List.of("fabrikam.example", "contoso.com", "evil.onmicrosoft.com"))),
            binding("m1", 1, "ceo@fabrikam.example", "X-OriginatorOrg: contoso.com"),
            org("m2", 2, "evil.onmicrosoft.com"));

        WhatIf whatIf = report.getWhatIf().orElseThrow();
        assertThat(whatIf.getMails()).as("only the foreign org's mail").isEqualTo(1);
        assertThat(whatIf.getStillDenied()).isEqualTo(1);
        assertThat(report.getSuggestions()).isEmpty();
        assertThat(report.getStrangers()).extracting(Suggestion::getValue).containsExactly("evil.onmicrosoft.com");
    }

    @Test
    void withoutTenantsNoMailIsNamed() throws Exception {
        QuarantineReport report = report(org("m1", 1, "contoso.com"));

        assertThat(report.getGroups().get("tenant").getGroups()).extracting(Group::getValue).containsExactly((String) null);
        assertThat(report.getTenants().getNames()).isEmpty();
    }

    private static final String EXO = "mail-x.outbound.protection.outlook.com";

    @Test
    void suggestionsShouldListANotAllowedOnmicrosoftValueWithItsEvidence() throws Exception {
        QuarantineReport report = report(
            mail("m1", "a@fabrikam.com", EXO, 1, "X-OriginatorOrg: Fabrikam.onmicrosoft.com"),
            mail("m2", "b@fabrikam.com", EXO, 2, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            mail("m3", "c@fabrikam.com", EXO, 3, "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            mail("m4", "d@fabrikam.com", EXO, 4, "X-OriginatorOrg: fabrikam.onmicrosoft.com", "X-OriginatorOrg: fabrikam.example"));

        assertThat(report.getSuggestions()).first().satisfies(suggestion -> {
            assertThat(suggestion.getValue()).isEqualTo("fabrikam.onmicrosoft.com");
            assertThat(suggestion.getReasons()).containsExactly(Suggestion.DOMAIN_LIST_NAME, Suggestion.ONMICROSOFT);
            assertThat(suggestion.getEvidence()).isEqualTo("named like your domain fabrikam.com; 4 of 4 mails from your domain fabrikam.com");
            assertThat(suggestion.getMails()).isEqualTo(4);
            assertThat(suggestion.getWouldLetThrough()).isEqualTo(3);
            assertThat(suggestion.getSenderDomains()).containsExactly("fabrikam.com");
            assertThat(suggestion.getFromOurDomains()).isEqualTo(4);
            assertThat(suggestion.getFromForeignDomains()).isZero();
            assertThat(suggestion.getKeys()).containsExactly("m4", "m3", "m2");
        });
        // The second instance is no name of ours, but its one mail was sent as our domain.
        assertThat(report.getSuggestions()).extracting(Suggestion::getValue, Suggestion::getReasons).last()
            .isEqualTo(tuple("fabrikam.example", List.of(Suggestion.DOMAIN_LIST_SENDERS)));
    }

    @Test
    void suggestionsShouldListOnlyValuesWithEvidenceThatTheyAreOurs() throws Exception {
        QuarantineReport report = report(
            org("m1", 1, "evil.onmicrosoft.com"),
            org("m2", 2, "evil.onmicrosoft.com"),
            mail("m3", "b@fabrikam.com", EXO, 3, "X-OriginatorOrg: FABRIKAM.com"),
            org("m4", 4, "evil.example"),
            org("m5", 5, "contoso.com", "evil.example"),
            org("m6", 6, "onmicrosoft.com"),
            org("m7", 7, "a b.onmicrosoft.com"),
            mail("m8", "c@contoso.com", EXO, 8, "X-OriginatorOrg: northwindtraders.onmicrosoft.com"));

        assertThat(report.getSuggestions())
            .extracting(Suggestion::getValue, Suggestion::getReasons, Suggestion::getEvidence)
            .containsExactly(
                tuple("fabrikam.com", List.of(Suggestion.IN_DOMAIN_LIST), "a domain of your DomainList; 1 of 1 mail from your domain fabrikam.com"),
                tuple("northwindtraders.onmicrosoft.com", List.of(Suggestion.DOMAIN_LIST_SENDERS, Suggestion.ONMICROSOFT),
                    "1 of 1 mail from your domain contoso.com, through Exchange Online"));
        assertThat(report.getSuspicious()).isEmpty();
        assertThat(report.getStrangers())
            .extracting(Suggestion::getValue, Suggestion::getEvidence)
            .containsExactly(
                tuple("evil.example", "2 of 2 mails from evil.example, not a domain of yours"),
                tuple("evil.onmicrosoft.com", "2 of 2 mails from evil.example, not a domain of yours"),
                tuple("a b.onmicrosoft.com", "1 of 1 mail from evil.example, not a domain of yours"),
                tuple("onmicrosoft.com", "1 of 1 mail from evil.example, not a domain of yours"));
    }

    @Test
    void aValueNamedLikeOursWhoseMailsAreSentAsForeignDomainsShouldBeSuspiciousNotSuggested() throws Exception {
        QuarantineReport report = report(
            mail("m1", "a@fabrikam-eu.example", EXO, 1, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            mail("m2", "b@fabrikam-eu.example", EXO, 2, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            mail("m3", "c@fabrikam.com", EXO, 3, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            org("m4", 4, "fabrikam.com"));

        assertThat(report.getSuggestions()).isEmpty();
        assertThat(report.getSuspicious())
            .extracting(Suggestion::getValue, Suggestion::getEvidence, Suggestion::getForeignDomains)
            .containsExactly(
                tuple("fabrikam.onmicrosoft.com",
                    "named like your domain fabrikam.com, but 2 of 3 mails from fabrikam-eu.example, not a domain of yours: a look-alike name",
                    List.of("fabrikam-eu.example")),
                tuple("fabrikam.com", "a domain of your DomainList, but 1 of 1 mail from evil.example, not a domain of yours: a look-alike name",
                    List.of("evil.example")));
    }

    @Test
    void aTenantNamedUnlikeOursShouldBeAStrangerUnlessAllItsMailsAreSentAsOurDomainsFromExchangeOnline() throws Exception {
        FakeMail withoutPtr = mail("m5", "a@contoso.com", "40.107.1.2", 5, "X-OriginatorOrg: litware.onmicrosoft.com");
        withoutPtr.setErrorMessage("relayguard rule=x-originatororg route=m365_mail");

        QuarantineReport report = report(
            mail("m1", "a@contoso-eu.example", EXO, 1, "X-OriginatorOrg: contoso-eu.onmicrosoft.com"),
            mail("m2", "a@contoso.com", "mail.evil.example", 2, "X-OriginatorOrg: tailspin.onmicrosoft.com"),
            mail("m3", "a@contoso.com", EXO, 3, "X-OriginatorOrg: northwind.onmicrosoft.com"),
            mail("m4", "", EXO, 4, "X-OriginatorOrg: northwind.onmicrosoft.com"),
            withoutPtr);

        assertThat(report.getSuggestions()).extracting(Suggestion::getValue, Suggestion::getEvidence)
            .containsExactly(tuple("litware.onmicrosoft.com", "1 of 1 mail from your domain contoso.com, through Exchange Online"));
        assertThat(report.getStrangers()).extracting(Suggestion::getValue, Suggestion::getEvidence)
            .containsExactly(
                tuple("northwind.onmicrosoft.com", "only 1 of 2 mails from your domain contoso.com"),
                tuple("contoso-eu.onmicrosoft.com", "1 of 1 mail from contoso-eu.example, not a domain of yours"),
                tuple("tailspin.onmicrosoft.com", "none of 1 mail from a domain of yours through Exchange Online"));
    }

    @Test
    void suggestionsShouldRankADomainListValueThenATenantNamedLikeOneThenSendersWhateverTheirCounts() throws Exception {
        QuarantineReport report = report(
            mail("m1", "a@contoso.com", EXO, 1, "X-OriginatorOrg: northwind.onmicrosoft.com"),
            mail("m2", "a@contoso.com", EXO, 2, "X-OriginatorOrg: northwind.onmicrosoft.com"),
            mail("m3", "a@contoso.com", EXO, 3, "X-OriginatorOrg: northwind.onmicrosoft.com"),
            mail("m4", "a@fabrikam.com", EXO, 4, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            mail("m5", "a@fabrikam.com", EXO, 5, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            mail("m6", "a@fabrikam.com", EXO, 6, "X-OriginatorOrg: fabrikam.com"));

        assertThat(report.getSuggestions())
            .extracting(Suggestion::getValue)
            .containsExactly("fabrikam.com", "fabrikam.onmicrosoft.com", "northwind.onmicrosoft.com");
    }

    @Test
    void whatIfShouldCountExactlyTheMailsTheCandidatesLetThrough() throws Exception {
        QuarantineReport report = report(scan(Optional.of(List.of("fabrikam.onmicrosoft.com", "fabrikam.com"))),
            org("through1", 1, "fabrikam.onmicrosoft.com"),
            org("through2", 2, "FABRIKAM.com"),
            org("through3", 3, "contoso.com", "fabrikam.com"),
            org("denied1", 4, "fabrikam.com", "evil.example"),
            org("denied2", 5),
            org("denied3", 6, "evil.onmicrosoft.com"),
            org("notOrg", 7, "contoso.com"));

        WhatIf whatIf = report.getWhatIf().orElseThrow();
        assertThat(whatIf.getCandidates()).containsExactly("fabrikam.onmicrosoft.com", "fabrikam.com");
        assertThat(whatIf.getMails()).isEqualTo(3);
        assertThat(whatIf.getStillDenied()).isEqualTo(3);
        assertThat(whatIf.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactlyInAnyOrder(
                tuple("fabrikam.onmicrosoft.com", 1L),
                tuple("fabrikam.com", 1L),
                tuple("contoso.com, fabrikam.com", 1L));
    }

    @Test
    void whatIfShouldBeAbsentWhenNotAsked() throws Exception {
        assertThat(report(org("m1", 1, "evil.example")).getWhatIf()).isEmpty();
    }

    @Test
    void groupsShouldTellFirstAndLastSeenAndKeepTheNewestKeysOnly() throws Exception {
        QuarantineReport report = report(
            org("m3", 3, "evil.example"),
            org("m1", 1, "evil.example"),
            org("m5", 5, "evil.example"),
            org("m2", 2, "evil.example"),
            org("m4", 4, "evil.example"));

        Group group = report.getGroups().get("originatorOrg").getGroups().get(0);
        assertThat(group.getFirstSeen()).isEqualTo(T0.plusSeconds(60));
        assertThat(group.getLastSeen()).isEqualTo(T0.plusSeconds(300));
        assertThat(group.getKeys()).containsExactly("m5", "m4", "m3");
        assertThat(report.getFirstSeen()).isEqualTo(T0.plusSeconds(60));
        assertThat(report.getLastSeen()).isEqualTo(T0.plusSeconds(300));
    }

    @Test
    void limitShouldListTheLargestGroupsAndDistinctShouldCountThemAll() throws Exception {
        QuarantineScan scan = new QuarantineScan(ALLOWED, new ReportParameters(1, 0, Optional.empty()), QuarantineScan.DEFAULT_MAX_GROUPS, DOMAIN_LIST);

        QuarantineReport report = report(scan,
            org("m1", 1, "a.example"),
            org("m2", 2, "b.example"),
            org("m3", 3, "b.example"));

        GroupTally orgs = report.getGroups().get("originatorOrg");
        assertThat(orgs.getDistinct()).isEqualTo(2);
        assertThat(orgs.getGroups()).extracting(Group::getValue, Group::getCount, Group::getKeys)
            .containsExactly(tuple("b.example", 2L, List.of()));
    }

    @Test
    void aDimensionShouldTrackAtMostMaxGroupsValuesAndCountTheRestAsOverflow() throws Exception {
        QuarantineScan scan = new QuarantineScan(ALLOWED, new ReportParameters(20, 3, Optional.empty()), 2, DOMAIN_LIST);

        QuarantineReport report = report(scan,
            org("m1", 1, "a.example"),
            org("m2", 2, "b.example"),
            org("m3", 3, "c.example"),
            org("m4", 4, "a.example"),
            org("m5", 5, "d.example"));

        GroupTally orgs = report.getGroups().get("originatorOrg");
        assertThat(orgs.getDistinct()).isEqualTo(2);
        assertThat(orgs.getOverflowMails()).isEqualTo(2);
        assertThat(orgs.getGroups()).extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("a.example", 2L), tuple("b.example", 1L));
        assertThat(report.getMails()).isEqualTo(5);
    }

    @Test
    void aValueShouldBeCutBeforeItIsGrouped() throws Exception {
        QuarantineReport report = report(org("m1", 1, "x".repeat(10_000)));

        assertThat(report.getGroups().get("originatorOrg").getGroups().get(0).getValue())
            .hasSize(QuarantineScan.MAX_VALUE_LENGTH + 3)
            .endsWith("...");
    }

    @Test
    void aMailWhoseHeadersCannotBeReadShouldBeCountedAndListedApart() throws Exception {
        MimeMessage unreadable = new MimeMessage(Session.getInstance(new Properties())) {
            @Override
            public String[] getHeader(String name) throws MessagingException {
                throw new MessagingException("content gone");
            }
        };
        FakeMail broken = FakeMail.builder().name("broken").sender("a@evil.example").recipient("someone@external.example")
            .mimeMessage(unreadable).build();

        QuarantineReport report = report(broken, org("m1", 1, "evil.example"));

        assertThat(report.getMails()).isEqualTo(2);
        assertThat(report.getConditions()).containsEntry("headers-unreadable", 1L);
        assertThat(report.getUnreadableKeys()).containsExactly("broken");
        assertThat(report.getGroups().get("originatorOrg").getGroups()).extracting(Group::getCount).containsExactly(1L);
        assertThat(report.getGroups().get("envelopeSenderDomain").getGroups()).extracting(Group::getCount).containsExactly(2L);
    }

    @Test
    void mailsOfTheSessionTenantRuleShouldBeJudgedByTheirXoorgAndGroupedByRule() throws Exception {
        QuarantineReport report = report(
            xoorg("x1", 1, "fabrikam.onmicrosoft.com", "X-OriginatorOrg: contoso.com"),
            xoorg("x2", 2, "Fabrikam.onmicrosoft.com"),
            xoorg("x3", 3, null, "X-OriginatorOrg: contoso.com"),
            org("m1", 4, "evil.example"));

        assertThat(report.getConditions())
            .containsEntry("xoorg-not-allowed", 2L)
            .containsEntry("xoorg-absent", 1L)
            .containsEntry("org-not-allowed", 1L);
        assertThat(report.getGroups().get("rule").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("xoorg", 3L), tuple(null, 1L));
        assertThat(report.getGroups().get("xoorg").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple(null, 2L), tuple("fabrikam.onmicrosoft.com", 2L));
        assertThat(report.getSuspicious())
            .as("named like fabrikam.com, sent as evil.example")
            .extracting(Suggestion::getValue, Suggestion::getMails, Suggestion::getWouldLetThrough)
            .containsExactly(tuple("fabrikam.onmicrosoft.com", 2L, 2L));
    }

    @Test
    void whatIfShouldLetThroughSessionTenantMailsByTheirXoorgOnly() throws Exception {
        QuarantineReport report = report(scan(Optional.of(List.of("fabrikam.onmicrosoft.com", "evil.example"))),
            xoorg("x1", 1, "fabrikam.onmicrosoft.com", "X-OriginatorOrg: evil.example"),
            xoorg("x2", 2, "evil.onmicrosoft.com", "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            xoorg("x3", 3, null, "X-OriginatorOrg: fabrikam.onmicrosoft.com"),
            org("m1", 4, "evil.example"));

        WhatIf whatIf = report.getWhatIf().orElseThrow();
        assertThat(whatIf.getMails()).isEqualTo(2);
        assertThat(whatIf.getStillDenied()).isEqualTo(2);
        assertThat(whatIf.getGroups().get("xoorg").getGroups())
            .extracting(Group::getValue, group -> group.getCondition().orElseThrow(), Group::getKeys)
            .containsExactly(tuple("fabrikam.onmicrosoft.com", "xoorg-not-allowed", List.of("x1")));
        assertThat(whatIf.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, Group::getKeys)
            .containsExactly(tuple("evil.example", List.of("m1")));
    }

    @Test
    void aMissingSecretShouldNeverBeLetThroughNorSuggested() throws Exception {
        FakeMail secret = org("s1", 1, "fabrikam.onmicrosoft.com");
        secret.setErrorMessage("relayguard rule=secret-header route=root");

        QuarantineReport report = report(scan(Optional.of(List.of("fabrikam.onmicrosoft.com"))), secret);

        assertThat(report.getConditions()).containsEntry("secret-missing", 1L);
        assertThat(report.getWhatIf().orElseThrow().getMails()).isZero();
        assertThat(report.getWhatIf().orElseThrow().getStillDenied()).isEqualTo(1);
        assertThat(report.getSuggestions()).isEmpty();
    }

    @Test
    void scanRepositoryShouldReadEveryStoredMailOnce() throws Exception {
        MemoryMailRepository repository = new MemoryMailRepository();
        repository.store(org("m1", 1, "evil.example"));
        repository.store(org("m2", 2, "Evil.example"));
        repository.store(org("m3", 3));
        QuarantineScan scan = scan(Optional.empty());

        new QuarantineSummaries(ConfiguredTenants.none()).forEach(repository, scan::add);

        QuarantineReport report = scan.finish("memory");
        assertThat(report.getMails()).isEqualTo(3);
        assertThat(report.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("evil.example", 2L), tuple(null, 1L));
    }
}
