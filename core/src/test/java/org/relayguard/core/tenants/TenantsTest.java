package org.relayguard.core.tenants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.relayguard.core.mail.TestMails.withXoorg;
import static org.relayguard.core.tenants.TestTenants.CONTOSO;
import static org.relayguard.core.tenants.TestTenants.FABRIKAM;
import static org.relayguard.core.tenants.TestTenants.TWO_TENANTS;
import static org.relayguard.core.tenants.TestTenants.domainList;
import static org.relayguard.core.tenants.TestTenants.parse;

import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.core.mail.TestMails;

class TenantsTest {
    private static String name(java.util.Optional<Tenant> tenant) {
        return tenant.map(Tenant::name).orElse("-");
    }

    private static String name(TenantIdentity identity) {
        return name(identity.tenant());
    }

    @Test
    void parseShouldReadEveryClauseOfEveryTenant() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);

        assertThat(tenants.all()).extracting(Tenant::name).containsExactly("contoso", "fabrikam");
        Tenant contoso = tenants.named("contoso").orElseThrow();
        assertThat(contoso.orgs()).containsExactly("contoso.onmicrosoft.com", "contoso.com");
        assertThat(contoso.domains()).containsExactly("contoso.com", "contoso.onmicrosoft.com");
        assertThat(contoso.smartHost()).isEqualTo("contoso-com.mail.protection.outlook.com");
        assertThat(contoso.ownsDomainList()).isFalse();
    }

    @Test
    void parseShouldAcceptTheShippedLoneTenantWithoutOrgs() throws Exception {
        Tenants tenants = parse("contoso: domains @domainlist; smarthost contoso-com.mail.protection.outlook.com");

        Tenant contoso = tenants.all().get(0);
        assertThat(contoso.orgs()).isEmpty();
        assertThat(contoso.ownsDomainList()).isTrue();
        assertThat(contoso.domainEntries()).containsExactly("@domainlist");
        assertThat(tenants.domainListTenant()).contains(contoso);
    }

    @Test
    void aLoneTenantWithoutOrgsGetsTheFlatTenantOrgs() throws Exception {
        Tenants tenants = parse("contoso: domains @domainlist; smarthost 127.0.0.1:2525")
            .withOrgsOfALoneTenant(HeaderValues.normaliseList("Contoso.onmicrosoft.com, contoso.com"));

        assertThat(tenants.all().get(0).orgs()).containsExactly("contoso.onmicrosoft.com", "contoso.com");
        assertThat(name(tenants.byOrg("CONTOSO.COM"))).isEqualTo("contoso");
    }

    @Test
    void withOrgsOfALoneTenantShouldLeaveTenantsWithOrgsAsTheyAre() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);

        assertThat(tenants.withOrgsOfALoneTenant(List.of("evil.example"))).isSameAs(tenants);
    }

    @Test
    void whitespaceAndNewlinesAreFreeAndKeywordsIgnoreCase() throws Exception {
        Tenants tenants = parse("\n  contoso :\n    ORGS contoso.com ;\n    Domains  contoso.com , .eu.contoso.com ;\n    smarthost  mx.contoso.com:2525 ;\n"
            + "  |\n  fabrikam: orgs fabrikam.example; domains @DomainList; smarthost [2001:db8::1]:25\n");

        assertThat(tenants.all()).extracting(Tenant::toString).containsExactly(
            "contoso: orgs contoso.com; domains contoso.com, .eu.contoso.com; smarthost mx.contoso.com:2525",
            "fabrikam: orgs fabrikam.example; domains @domainlist; smarthost [2001:db8::1]:25");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  ", "\n"})
    void parseShouldRefuseAnEmptyDescription(String description) {
        assertThatThrownBy(() -> parse(description))
            .isInstanceOf(MessagingException.class)
            .hasMessage("Test: the tenants description is empty");
    }

    @Test
    void parseShouldRefuseAnEmptyTenantNamingIt() {
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: "))
            .hasMessage("Test: tenant 'fabrikam': empty (it needs domains and a smarthost)");
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: ; ;"))
            .hasMessage("Test: tenant 'fabrikam': empty (it needs domains and a smarthost)");
    }

    @Test
    void parseShouldRefuseNothingBetweenTwoBars() {
        assertThatThrownBy(() -> parse(CONTOSO + " | | " + FABRIKAM)).hasMessage("Test: tenant #2 is empty");
    }

    @Test
    void parseShouldRefuseATenantWithoutAColon() {
        assertThatThrownBy(() -> parse("contoso domains contoso.com")).hasMessageContaining("tenant #1 'contoso domains contoso.com' has no ':'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Contoso", "-contoso", "con toso", "contoso_eu", "", "tenant.one"})
    void parseShouldRefuseAnInvalidName(String name) {
        assertThatThrownBy(() -> parse(name + ": domains contoso.com; smarthost mx.contoso.com"))
            .hasMessageStartingWith("Test: invalid tenant name '" + name.trim() + "'");
    }

    @Test
    void parseShouldRefuseADuplicateName() {
        assertThatThrownBy(() -> parse(CONTOSO + " | contoso: orgs other.example; domains other.example; smarthost mx.other.example"))
            .hasMessage("Test: tenant 'contoso' is described twice");
    }

    @Test
    void parseShouldRefuseAnUnknownClause() {
        assertThatThrownBy(() -> parse("contoso: domains contoso.com; smarthost mx.contoso.com; gateway mx.contoso.com"))
            .hasMessage("Test: tenant 'contoso': unknown clause 'gateway' (orgs, domains, smarthost)");
    }

    @Test
    void parseShouldRefuseAClauseGivenTwice() {
        assertThatThrownBy(() -> parse("contoso: domains contoso.com; domains contoso.eu; smarthost mx.contoso.com"))
            .hasMessage("Test: tenant 'contoso': clause 'domains' given twice");
    }

    @Test
    void parseShouldRefuseATenantWithoutSmartHost() {
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: orgs fabrikam.example; domains fabrikam.example"))
            .hasMessage("Test: tenant 'fabrikam': no smarthost");
    }

    @Test
    void parseShouldRefuseATenantWithoutDomains() {
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: orgs fabrikam.example; smarthost mx.fabrikam.example"))
            .hasMessage("Test: tenant 'fabrikam': no domains");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mx.contoso.com:0", "mx.contoso.com:65536", "mx.contoso.com:", "mx..contoso.com", "mx.contoso.com, mx2.contoso.com",
        "${env:RELAYGUARD_M365_SMARTHOST:-mx.contoso.com}", "2001:db8::1", "[2001:db8::1", ""})
    void parseShouldRefuseAnInvalidSmartHost(String smartHost) {
        assertThatThrownBy(() -> parse("contoso: domains contoso.com; smarthost " + smartHost))
            .hasMessageStartingWith("Test: tenant 'contoso': invalid smarthost");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.contoso.com", "@other", "contoso..com", "192.0.2.1"})
    void parseShouldRefuseAnInvalidDomainEntry(String entry) {
        assertThatThrownBy(() -> parse("contoso: domains contoso.com, " + entry + "; smarthost mx.contoso.com"))
            .hasMessage("Test: tenant 'contoso': invalid domain entry '" + entry + "' (a domain, .below-a-domain or @domainlist)");
    }

    @Test
    void parseShouldRefuseAnEmptyValue() {
        assertThatThrownBy(() -> parse("contoso: domains contoso.com,, contoso.eu; smarthost mx.contoso.com"))
            .hasMessageStartingWith("Test: tenant 'contoso': empty value in clause 'domains");
        assertThatThrownBy(() -> parse("contoso: orgs; domains contoso.com; smarthost mx.contoso.com"))
            .hasMessageStartingWith("Test: tenant 'contoso': empty value in clause 'orgs");
    }

    @Test
    void parseShouldRefuseADomainClaimedByTwoTenants() {
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: orgs fabrikam.example; domains fabrikam.example, Contoso.COM; smarthost mx.fabrikam.example"))
            .hasMessage("Test: tenant 'fabrikam': domain 'contoso.com' is claimed by tenant 'contoso' too");
    }

    @Test
    void parseShouldRefuseTheSameBelowEntryInTwoTenants() {
        assertThatThrownBy(() -> parse("a: orgs a.example; domains .group.example; smarthost mx.a.example"
            + " | b: orgs b.example; domains .group.example; smarthost mx.b.example"))
            .hasMessage("Test: tenant 'b': domain '.group.example' is claimed by tenant 'a' too");
    }

    @Test
    void parseShouldRefuseADomainInsideAnotherTenantsBelowEntry() {
        assertThatThrownBy(() -> parse("a: orgs a.example; domains .group.example; smarthost mx.a.example"
            + " | b: orgs b.example; domains eu.group.example; smarthost mx.b.example"))
            .hasMessage("Test: tenant 'b': domain 'eu.group.example' is also claimed by tenant 'a' (.group.example)");
        assertThatThrownBy(() -> parse("a: orgs a.example; domains .eu.group.example; smarthost mx.a.example"
            + " | b: orgs b.example; domains .group.example; smarthost mx.b.example"))
            .hasMessage("Test: tenant 'a': domain '.eu.group.example' is also claimed by tenant 'b' (.group.example)");
    }

    @Test
    void aDomainAndTheDomainsBelowItMayBelongToTwoTenants() throws Exception {
        Tenants tenants = parse("a: orgs a.example; domains group.example; smarthost mx.a.example"
            + " | b: orgs b.example; domains .group.example; smarthost mx.b.example");

        assertThat(name(tenants.listedOwner("group.example"))).isEqualTo("a");
        assertThat(name(tenants.listedOwner("eu.group.example"))).isEqualTo("b");
    }

    @Test
    void parseShouldRefuseTheDomainListInTwoTenants() {
        assertThatThrownBy(() -> parse("a: orgs a.example; domains @domainlist; smarthost mx.a.example"
            + " | b: orgs b.example; domains @domainlist; smarthost mx.b.example"))
            .hasMessage("Test: tenant 'b': @domainlist is claimed by tenant 'a' too");
    }

    @Test
    void parseShouldRefuseAnOrgListedTwiceInOneTenant() {
        assertThatThrownBy(() -> parse("contoso: orgs contoso.com, CONTOSO.com.; domains contoso.com; smarthost mx.contoso.com"))
            .hasMessage("Test: tenant 'contoso': org 'contoso.com' is listed twice");
    }

    @Test
    void parseShouldRefuseAnOrgListedInTwoTenants() {
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: orgs fabrikam.example, contoso.com; domains fabrikam.example; smarthost mx.fabrikam.example"))
            .hasMessage("Test: tenant 'fabrikam': org 'contoso.com' is listed twice (also in tenant 'contoso')");
    }

    @Test
    void parseShouldRefuseAnOrgThatIsNoDomainName() {
        assertThatThrownBy(() -> parse("contoso: orgs contoso com; domains contoso.com; smarthost mx.contoso.com"))
            .hasMessage("Test: tenant 'contoso': org 'contoso com' is not a domain name");
    }

    @Test
    void parseShouldRefuseATenantWithoutOrgsWhenThereAreSeveral() {
        assertThatThrownBy(() -> parse(CONTOSO + " | fabrikam: domains fabrikam.example; smarthost mx.fabrikam.example"))
            .hasMessageStartingWith("Test: tenant 'fabrikam': no orgs");
    }

    @ParameterizedTest
    @CsvSource({
        "contoso.com, contoso",
        "CONTOSO.Com., contoso",
        "fabrikam.onmicrosoft.com, fabrikam",
        "mail.contoso.com, -",
        "evil.example, -",
        "'not a domain', -"})
    void listedOwnerShouldFindTheTenantThatListsADomain(String domain, String owner) throws Exception {
        assertThat(name(parse(TWO_TENANTS).listedOwner(domain))).isEqualTo(owner);
    }

    @Test
    void listedOwnerShouldFindTheTenantOfABelowEntryStrictlyBelowIt() throws Exception {
        Tenants tenants = parse("contoso: orgs contoso.com; domains .contoso.com; smarthost mx.contoso.com");

        assertThat(name(tenants.listedOwner("mx.eu.contoso.com"))).isEqualTo("contoso");
        assertThat(name(tenants.listedOwner("contoso.com"))).isEqualTo("-");
        assertThat(name(tenants.listedOwner("evilcontoso.com"))).isEqualTo("-");
    }

    @Test
    void listedOwnerShouldCompareInternationalisedNamesInPunycode() throws Exception {
        Tenants tenants = parse("buecher: orgs bücher.example; domains bücher.example; smarthost mx.xn--bcher-kva.example");

        assertThat(name(tenants.listedOwner("xn--bcher-kva.example"))).isEqualTo("buecher");
        assertThat(name(tenants.byOrg("XN--BCHER-KVA.example"))).isEqualTo("buecher");
    }

    @Test
    void ownerShouldGiveTheDomainListToTheDomainListTenantAfterTheListedDomains() throws Exception {
        MemoryDomainList domainList = domainList("contoso.com", "fabrikam.example", "contoso.eu");
        Tenants tenants = parse("contoso: orgs contoso.com; domains @domainlist; smarthost mx.contoso.com"
            + " | fabrikam: orgs fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example");
        DomainListLookup lookup = new DomainListLookup(domainList, "Test");

        assertThat(name(tenants.owner(Domain.of("contoso.eu"), lookup))).isEqualTo("contoso");
        assertThat(name(tenants.owner(Domain.of("fabrikam.example"), lookup))).isEqualTo("fabrikam");
        assertThat(name(tenants.owner(Domain.of("evil.example"), lookup))).isEqualTo("-");

        domainList.addDomain(Domain.of("evil.example"));
        assertThat(name(tenants.owner(Domain.of("evil.example"), lookup))).as("a domain added at run time").isEqualTo("contoso");
    }

    @Test
    void ownerShouldThrowNamingTheComponentWhenTheDomainListCannotBeRead() throws Exception {
        DomainList broken = mock(DomainList.class);
        when(broken.containsDomain(any())).thenThrow(new DomainListException("backend down"));
        Tenants tenants = parse("contoso: orgs contoso.com; domains @domainlist; smarthost mx.contoso.com"
            + " | fabrikam: orgs fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example");
        DomainListLookup lookup = new DomainListLookup(broken, "SenderNotOwnedByTenant");

        assertThat(name(tenants.owner(Domain.of("fabrikam.example"), lookup))).as("listed: no DomainList needed").isEqualTo("fabrikam");
        assertThatThrownBy(() -> tenants.owner(Domain.of("contoso.com"), lookup))
            .isInstanceOf(MessagingException.class)
            .hasMessage("SenderNotOwnedByTenant: cannot read James's DomainList");
    }

    @Test
    void identifyShouldPreferTheSessionTenant() throws Exception {
        FakeMail mail = withXoorg(TestMails.withHeaders("X-OriginatorOrg: contoso.com"), "Fabrikam.onmicrosoft.com");

        assertThat(name(parse(TWO_TENANTS).identify(mail))).isEqualTo("fabrikam");
    }

    @Test
    void identifyShouldNotFallBackToTheHeaderWhenTheSessionTenantIsNoneOfOurs() throws Exception {
        FakeMail mail = withXoorg(TestMails.withHeaders("X-OriginatorOrg: contoso.com"), "evil.onmicrosoft.com");

        assertThat(parse(TWO_TENANTS).identify(mail).kind()).isEqualTo(TenantIdentity.Kind.SESSION_NOT_OURS);
    }

    @Test
    void identifyShouldTreatAnXoorgThatIsNoStringAsUnidentified() throws Exception {
        FakeMail mail = TestMails.withHeaders("X-OriginatorOrg: contoso.com");
        mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.of(42)));

        assertThat(parse(TWO_TENANTS).identify(mail).kind()).isEqualTo(TenantIdentity.Kind.SESSION_NOT_OURS);
    }

    @Test
    void identifyShouldTakeTheTenantOfEveryHeaderInstance() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);

        assertThat(name(tenants.identify(TestMails.withHeaders("X-OriginatorOrg: contoso.com")))).isEqualTo("contoso");
        assertThat(name(tenants.identify(TestMails.withHeaders("x-originatororg:  CONTOSO.onmicrosoft.com ", "X-OriginatorOrg: contoso.com"))))
            .isEqualTo("contoso");
        assertThat(name(tenants.identify(TestMails.withHeaders("X-OriginatorOrg: =?utf-8?q?fabrikam.example?=")))).isEqualTo("fabrikam");
    }

    @Test
    void identifyShouldNotIdentifyMixedForeignOrAbsentInstances() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);

        assertThat(tenants.identify(TestMails.withHeaders("X-OriginatorOrg: contoso.com", "X-OriginatorOrg: evil.example")))
            .isEqualTo(TenantIdentity.foreignOrg());
        assertThat(tenants.identify(TestMails.withHeaders("X-OriginatorOrg: evil.onmicrosoft.com"))).isEqualTo(TenantIdentity.foreignOrg());
        assertThat(tenants.identify(TestMails.withHeaders())).isEqualTo(TenantIdentity.noOrg());
    }

    @Test
    void identifyShouldNameAConflictWhenTheInstancesNameTwoOfOurTenants() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);
        TenantIdentity oneOrder = tenants.identify(TestMails.withHeaders("X-OriginatorOrg: contoso.com", "X-OriginatorOrg: fabrikam.example"));
        TenantIdentity otherOrder = tenants.identify(TestMails.withHeaders("X-OriginatorOrg: fabrikam.example", "X-OriginatorOrg: contoso.com",
            "X-OriginatorOrg: evil.example"));

        assertThat(oneOrder.kind()).isEqualTo(TenantIdentity.Kind.CONFLICT);
        assertThat(oneOrder.tenant()).as("no single tenant").isEmpty();
        assertThat(oneOrder.names()).contains("contoso,fabrikam");
        assertThat(otherOrder).as("the description's order, whatever the instances' order; a foreign one beside").isEqualTo(oneOrder);
    }

    @Test
    void identifyShouldTakeAMailboxRulesForwardForNoTenantWithoutXoorg() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);
        FakeMail forward = TestMails.withHeaders("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent",
            "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: fabrikam.example");

        assertThat(tenants.identify(forward)).isEqualTo(TenantIdentity.forward());
        assertThat(name(tenants.identify(withXoorg(forward, "fabrikam.onmicrosoft.com")))).as("the session decides").isEqualTo("fabrikam");
    }

    @Test
    void identifyShouldThrowWhenTheHeadersCannotBeRead() throws Exception {
        Tenants tenants = parse(TWO_TENANTS);

        assertThatThrownBy(() -> tenants.identify(TestMails.withUnreadableHeaders())).isInstanceOf(MessagingException.class);
    }

    @Test
    void noTenantsIdentifyNobodyAndOwnNothing() throws Exception {
        assertThat(Tenants.none().identify(TestMails.withHeaders("X-OriginatorOrg: contoso.com"))).isEqualTo(TenantIdentity.foreignOrg());
        assertThat(Tenants.none().listedOwner("contoso.com")).isEmpty();
        assertThat(Tenants.none().isEmpty()).isTrue();
    }
}
