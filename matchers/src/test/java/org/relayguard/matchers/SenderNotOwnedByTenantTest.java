package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.relayguard.core.mail.TestMails.withXoorg;
import static org.relayguard.core.tenants.TestTenants.TWO_TENANTS;

import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.TestMails;
import org.relayguard.core.tenants.TestTenants;

class SenderNotOwnedByTenantTest {
    /** contoso owns James's DomainList; fabrikam lists its domains; northwind owns everything below northwind.example. */
    private static final String WITH_DOMAIN_LIST = "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains @domainlist; smarthost mx.contoso.com"
        + " | fabrikam: orgs fabrikam.onmicrosoft.com, fabrikam.example; domains fabrikam.example, fabrikam.onmicrosoft.com; smarthost mx.fabrikam.example"
        + " | northwind: orgs northwind.onmicrosoft.com; domains .northwind.example, bücher.example; smarthost mx.northwind.example";
    private static final String MAILBOX_RULES = "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent";

    private MemoryDomainList domainList;

    @BeforeEach
    void setUp() throws Exception {
        domainList = TestTenants.domainList("contoso.com", "contoso.onmicrosoft.com", "fabrikam.example");
    }

    private SenderNotOwnedByTenant matcher(String condition) throws MessagingException {
        return matcher(condition, domainList);
    }

    private static SenderNotOwnedByTenant matcher(String condition, DomainList domainList) throws MessagingException {
        SenderNotOwnedByTenant matcher = new SenderNotOwnedByTenant(domainList);
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("SenderNotOwnedByTenant")
            .condition(condition)
            .build());
        return matcher;
    }

    private static FakeMail from(String sender, String... headers) throws MessagingException {
        return FakeMail.builder()
            .name("mail")
            .sender(sender)
            .recipient(TestMails.RECIPIENT)
            .mimeMessage(TestMails.message(headers))
            .build();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenATenantIdentifiedByHeaderSendsAsAnotherTenant() throws Exception {
        assertThat(matcher(TWO_TENANTS).match(from("ceo@fabrikam.example", "X-OriginatorOrg: contoso.com")))
            .containsExactly(new MailAddress(TestMails.RECIPIENT));
    }

    @Test
    void matchShouldReturnAllRecipientsWhenATenantIdentifiedByXoorgSendsAsAnotherTenant() throws Exception {
        // The header claims fabrikam as well: the session's tenant decides.
        FakeMail mail = withXoorg(from("ceo@fabrikam.example", "X-OriginatorOrg: fabrikam.example"), "contoso.onmicrosoft.com");

        assertThat(matcher(TWO_TENANTS).match(mail)).hasSize(1);
    }

    @Test
    void matchShouldReturnNoRecipientWhenATenantSendsAsItself() throws Exception {
        SenderNotOwnedByTenant matcher = matcher(TWO_TENANTS);

        assertThat(matcher.match(from("a@contoso.com", "X-OriginatorOrg: contoso.com"))).isEmpty();
        assertThat(matcher.match(from("a@contoso.onmicrosoft.com", "X-OriginatorOrg: contoso.onmicrosoft.com"))).isEmpty();
        assertThat(matcher.match(withXoorg(from("a@fabrikam.example"), "fabrikam.onmicrosoft.com"))).isEmpty();
    }

    @Test
    void matchShouldLetAMailboxRulesForwardWithItsSrsSenderInTheForwardingTenantsDomainRelay() throws Exception {
        SenderNotOwnedByTenant matcher = matcher(TWO_TENANTS);
        String srs = "bounces+SRS=k1=news.example.net=user@fabrikam.example";

        assertThat(matcher.match(withXoorg(from(srs, MAILBOX_RULES, "X-OriginatorOrg: news.example.net"), "fabrikam.onmicrosoft.com")))
            .as("identified by XOORG").isEmpty();
        assertThat(matcher.match(from(srs, MAILBOX_RULES, "X-OriginatorOrg: fabrikam.onmicrosoft.com")))
            .as("a forward's header names no tenant: the other rules decide").isEmpty();
        assertThat(matcher.match(from(srs, MAILBOX_RULES, "X-OriginatorOrg: news.example.net")))
            .as("the original author's foreign org: unidentified, the other rules decide").isEmpty();
    }

    @Test
    void aForwardOfAnotherTenantsMailIsNotTakenForTheAuthorsTenant() throws Exception {
        // A fabrikam user's inbox rule forwards what a contoso user wrote: the forward keeps the
        // author's X-OriginatorOrg, so the header would name contoso while fabrikam sends.
        FakeMail forward = from("bounces+SRS=k1=contoso.com=user@fabrikam.example", MAILBOX_RULES, "X-OriginatorOrg: contoso.com");

        assertThat(matcher(TWO_TENANTS).match(forward)).as("without XOORG: unidentified, the other rules decide").isEmpty();
        assertThat(matcher(TWO_TENANTS).match(withXoorg(forward, "fabrikam.onmicrosoft.com"))).as("XOORG names the forwarder").isEmpty();
    }

    @Test
    void aForgedForwardIsDeniedWhenTheSessionNamesItsTenant() throws Exception {
        // contoso dresses its mail as a fabrikam forward; only the session's tenant can tell.
        FakeMail forged = from("bounces+SRS=k1=x.example=ceo@fabrikam.example", MAILBOX_RULES, "X-OriginatorOrg: contoso.com");

        assertThat(matcher(TWO_TENANTS).match(forged)).as("the documented residual without XOORG").isEmpty();
        assertThat(matcher(TWO_TENANTS).match(withXoorg(forged, "contoso.onmicrosoft.com"))).hasSize(1);
    }

    @Test
    void aMessageSourceOtherThanMailboxRulesStillIdentifiesByHeader() throws Exception {
        FakeMail autoReply = from("ceo@fabrikam.example", "X-MS-Exchange-Generated-Message-Source: Journal Agent", "X-OriginatorOrg: contoso.com");
        FakeMail mixed = from("ceo@fabrikam.example", MAILBOX_RULES, "X-MS-Exchange-Generated-Message-Source: Journal Agent",
            "X-OriginatorOrg: contoso.com");

        assertThat(matcher(TWO_TENANTS).match(autoReply)).hasSize(1);
        assertThat(matcher(TWO_TENANTS).match(mixed)).as("not every instance says Mailbox Rules Agent").hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenInstancesNameTwoOfOurTenants() throws Exception {
        // contoso adds fabrikam's org as a second instance: conflicting evidence, never an allow (SPEC).
        SenderNotOwnedByTenant matcher = matcher(TWO_TENANTS);

        assertThat(matcher.match(from("ceo@fabrikam.example", "X-OriginatorOrg: fabrikam.example", "X-OriginatorOrg: contoso.com")))
            .containsExactly(new MailAddress(TestMails.RECIPIENT));
        assertThat(matcher.match(from("ceo@fabrikam.example", "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: fabrikam.example")))
            .as("either order").hasSize(1);
        assertThat(matcher.match(from("a@contoso.com", "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: fabrikam.example")))
            .as("whichever of the two owns the sender's domain").hasSize(1);
    }

    @Test
    void matchShouldReturnNoRecipientWhenNoTenantIsIdentified() throws Exception {
        SenderNotOwnedByTenant matcher = matcher(TWO_TENANTS);

        assertThat(matcher.match(from("ceo@fabrikam.example", "X-OriginatorOrg: evil.onmicrosoft.com"))).as("foreign org").isEmpty();
        assertThat(matcher.match(from("ceo@fabrikam.example"))).as("absent header").isEmpty();
        assertThat(matcher.match(from("ceo@fabrikam.example", "X-OriginatorOrg: contoso.com", "X-OriginatorOrg: evil.example")))
            .as("a foreign instance beside ours: the X-OriginatorOrg rule denies it").isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheSessionTenantIsNoneOfOursAndTheDomainIs() throws Exception {
        // Exchange Online names the sending tenant: one that is not ours never sends as our domains,
        // whatever the header says (the XOORG rule before the binding denies it too).
        assertThat(matcher(TWO_TENANTS).match(withXoorg(from("ceo@fabrikam.example", "X-OriginatorOrg: fabrikam.example"), "evil.onmicrosoft.com")))
            .hasSize(1);
        assertThat(matcher(TWO_TENANTS).match(withXoorg(from("a@evil.example"), "evil.onmicrosoft.com")))
            .as("not our domain: the other rules decide").isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsForADomainListDomainNoTenantOwns() throws Exception {
        // Both tenants list their domains; the DomainList also holds partner.example, which no
        // tenant owns: the exemption for our domains would let either tenant send as it.
        domainList.addDomain(Domain.of("partner.example"));

        assertThat(matcher(TWO_TENANTS).match(from("a@partner.example", "X-OriginatorOrg: contoso.com"))).hasSize(1);
        assertThat(matcher(WITH_DOMAIN_LIST).match(from("a@partner.example", "X-OriginatorOrg: contoso.com")))
            .as("with a @domainlist tenant the domain is contoso's").isEmpty();
    }

    @Test
    void matchShouldReturnNoRecipientForTheNullSender() throws Exception {
        FakeMail nullSender = FakeMail.builder().name("bounce").sender(MaybeSender.nullSender()).recipient(TestMails.RECIPIENT)
            .mimeMessage(TestMails.message("X-OriginatorOrg: contoso.com")).build();

        assertThat(matcher(TWO_TENANTS).match(nullSender)).isEmpty();
    }

    @Test
    void matchShouldReturnNoRecipientWhenNoTenantOwnsTheSenderDomain() throws Exception {
        assertThat(matcher(TWO_TENANTS).match(from("a@evil.example", "X-OriginatorOrg: contoso.com"))).isEmpty();
    }

    @Test
    void matchShouldGiveTheDomainListToTheDomainListTenant() throws Exception {
        SenderNotOwnedByTenant matcher = matcher(WITH_DOMAIN_LIST);

        assertThat(matcher.match(from("a@contoso.com", "X-OriginatorOrg: fabrikam.example"))).as("contoso's by the DomainList").hasSize(1);
        assertThat(matcher.match(from("a@fabrikam.example", "X-OriginatorOrg: contoso.com")))
            .as("listed by fabrikam, although the DomainList holds it too").hasSize(1);
        assertThat(matcher.match(from("a@fabrikam.example", "X-OriginatorOrg: fabrikam.example"))).isEmpty();
        assertThat(matcher.match(from("a@contoso.eu", "X-OriginatorOrg: fabrikam.example"))).as("not in the DomainList yet").isEmpty();

        domainList.addDomain(Domain.of("contoso.eu"));

        assertThat(matcher.match(from("a@contoso.eu", "X-OriginatorOrg: fabrikam.example"))).as("added at run time").hasSize(1);
    }

    @Test
    void matchShouldOwnEveryDomainBelowABelowEntry() throws Exception {
        SenderNotOwnedByTenant matcher = matcher(WITH_DOMAIN_LIST);

        assertThat(matcher.match(from("a@mx.eu.northwind.example", "X-OriginatorOrg: contoso.com"))).hasSize(1);
        assertThat(matcher.match(from("a@northwind.example", "X-OriginatorOrg: contoso.com"))).as("the domain itself is not below").isEmpty();
        assertThat(matcher.match(from("a@mx.eu.northwind.example", "X-OriginatorOrg: northwind.onmicrosoft.com"))).isEmpty();
    }

    @Test
    void matchShouldIgnoreCaseAndCompareInternationalisedNamesInPunycode() throws Exception {
        SenderNotOwnedByTenant matcher = matcher(WITH_DOMAIN_LIST);

        assertThat(matcher.match(from("CEO@FABRIKAM.Example", "X-OriginatorOrg: CONTOSO.com"))).hasSize(1);
        assertThat(matcher.match(from("a@xn--bcher-kva.example", "X-OriginatorOrg: contoso.com"))).hasSize(1);
    }

    @Test
    void matchShouldNeverMatchWithOneTenant() throws Exception {
        SenderNotOwnedByTenant matcher = matcher("contoso: domains @domainlist; smarthost mx.contoso.com");

        assertThat(matcher.match(from("a@contoso.com", "X-OriginatorOrg: evil.onmicrosoft.com"))).isEmpty();
        assertThat(matcher.match(from("a@contoso.com", "X-OriginatorOrg: contoso.com"))).isEmpty();
        assertThat(matcher.match(from("a@evil.example", "X-OriginatorOrg: evil.onmicrosoft.com"))).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheHeadersCannotBeRead() throws Exception {
        assertThat(matcher(TWO_TENANTS).match(TestMails.withUnreadableHeaders("ceo@fabrikam.example"))).hasSize(1);
    }

    @Test
    void matchShouldNotReadTheHeadersOfMailFromADomainNoTenantOwns() throws Exception {
        FakeMail unreadable = TestMails.withUnreadableHeaders();

        assertThat(matcher(TWO_TENANTS).match(unreadable)).as("a@evil.example: nothing to bind").isEmpty();
    }

    @Test
    void matchShouldReadTheSessionTenantWithoutTheHeaders() throws Exception {
        MimeMessage unreadable = new MimeMessage(Session.getInstance(new Properties())) {
            @Override
            public String[] getHeader(String name) throws MessagingException {
                throw new MessagingException("message content is unavailable");
            }
        };
        FakeMail mail = withXoorg(FakeMail.builder().name("m").sender("a@fabrikam.example").recipient(TestMails.RECIPIENT)
            .mimeMessage(unreadable).build(), "fabrikam.onmicrosoft.com");

        assertThat(matcher(TWO_TENANTS).match(mail)).isEmpty();
    }

    @Test
    void matchShouldThrowNamingTheMatcherWhenTheDomainListCannotBeRead() throws Exception {
        DomainList broken = mock(DomainList.class);
        when(broken.containsDomain(any())).thenThrow(new DomainListException("backend down"));
        SenderNotOwnedByTenant matcher = matcher(WITH_DOMAIN_LIST, broken);

        assertThatThrownBy(() -> matcher.match(from("a@contoso.com", "X-OriginatorOrg: fabrikam.example")))
            .isInstanceOf(MessagingException.class)
            .hasMessage("SenderNotOwnedByTenant: cannot read James's DomainList");
    }

    @Test
    void initShouldThrowNamingTheMatcherAndTheTenant() {
        assertThatThrownBy(() -> matcher(TestTenants.CONTOSO + " | fabrikam: orgs fabrikam.example; domains contoso.com; smarthost mx.fabrikam.example"))
            .isInstanceOf(MessagingException.class)
            .hasMessage("SenderNotOwnedByTenant: tenant 'fabrikam': domain 'contoso.com' is claimed by tenant 'contoso' too");
        assertThatThrownBy(() -> matcher(""))
            .hasMessage("SenderNotOwnedByTenant: the tenants description is empty");
    }

    @Test
    void getMatcherInfoShouldIncludeTheCondition() throws Exception {
        assertThat(matcher(TWO_TENANTS).getMatcherInfo()).isEqualTo("SenderNotOwnedByTenant=" + TWO_TENANTS);
    }
}
