package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relayguard.core.mail.TestMails.withXoorg;
import static org.relayguard.core.tenants.TestTenants.TWO_TENANTS;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.TestMails;
import org.relayguard.core.tenants.TestTenants;

class FromNotOwnedByTenantTest {

    private static FromNotOwnedByTenant matcher(String condition) throws Exception {
        FromNotOwnedByTenant matcher = new FromNotOwnedByTenant(TestTenants.domainList("contoso.com"));
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("FromNotOwnedByTenant")
            .condition(condition)
            .build());
        return matcher;
    }

    /** A mail from our envelope domain with these header lines, From: among them. */
    private static FakeMail mail(String... headerLines) throws MessagingException {
        String raw = String.join("\r\n", headerLines) + "\r\nTo: " + TestMails.RECIPIENT + "\r\nSubject: test\r\n\r\nbody\r\n";
        return FakeMail.builder()
            .name("mail")
            .sender("a@contoso.com")
            .recipient(TestMails.RECIPIENT)
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))))
            .build();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenAnIdentifiedTenantWritesAnotherTenantsFrom() throws Exception {
        assertThat(matcher(TWO_TENANTS).match(mail("From: \"The CEO\" <ceo@Fabrikam.example>", "X-OriginatorOrg: contoso.com"))).hasSize(1);
        assertThat(matcher(TWO_TENANTS).match(withXoorg(mail("From: ceo@fabrikam.example"), "contoso.com"))).hasSize(1);
    }

    @Test
    void matchShouldReturnNoRecipientWhenTheFromIsTheTenantsOwnOrNoTenants() throws Exception {
        FromNotOwnedByTenant matcher = matcher(TWO_TENANTS);

        assertThat(matcher.match(mail("From: a@contoso.com", "X-OriginatorOrg: contoso.com"))).isEmpty();
        assertThat(matcher.match(mail("From: news@example.org", "X-OriginatorOrg: contoso.com"))).isEmpty();
        assertThat(matcher.match(mail("X-OriginatorOrg: contoso.com"))).as("no From:").isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenInstancesNameTwoOfOurTenantsAndTheFromIsOneOfTheirs() throws Exception {
        FromNotOwnedByTenant matcher = matcher(TWO_TENANTS);

        assertThat(matcher.match(mail("From: ceo@fabrikam.example", "X-OriginatorOrg: fabrikam.example", "X-OriginatorOrg: contoso.com")))
            .hasSize(1);
        assertThat(matcher.match(mail("From: news@example.org", "X-OriginatorOrg: fabrikam.example", "X-OriginatorOrg: contoso.com")))
            .as("a From: of no tenant: the envelope binding and the X-OriginatorOrg rule decide").isEmpty();
    }

    @Test
    void matchShouldReturnNoRecipientWhenNoTenantIsIdentified() throws Exception {
        assertThat(matcher(TWO_TENANTS).match(mail("From: ceo@fabrikam.example", "X-OriginatorOrg: evil.onmicrosoft.com"))).isEmpty();
    }

    @Test
    void matchShouldCheckEveryAddressOfEveryFromInstance() throws Exception {
        FromNotOwnedByTenant matcher = matcher(TWO_TENANTS);

        assertThat(matcher.match(mail("From: a@contoso.com, ceo@fabrikam.example", "X-OriginatorOrg: contoso.com"))).hasSize(1);
        assertThat(matcher.match(mail("From: a@contoso.com", "From: ceo@fabrikam.example", "X-OriginatorOrg: contoso.com"))).hasSize(1);
        assertThat(matcher.match(mail("From: board: a@contoso.com, ceo@fabrikam.example;", "X-OriginatorOrg: contoso.com"))).as("a group").hasSize(1);
        assertThat(matcher.match(mail("From: =?utf-8?q?Der_Chef?=\r\n <ceo@fabrikam.example>", "X-OriginatorOrg: contoso.com"))).as("folded, encoded").hasSize(1);
    }

    @Test
    void matchShouldReadTheDomainOfAMalformedFromAsAMailReaderWould() throws Exception {
        // JavaMail's lenient parser, as readers are: the domain a recipient would see still counts.
        assertThat(matcher(TWO_TENANTS).match(mail("From: <ceo@fabrikam.example", "X-OriginatorOrg: contoso.com"))).hasSize(1);
        assertThat(matcher(TWO_TENANTS).match(mail("From: \"CEO <ceo@fabrikam.example>", "X-OriginatorOrg: contoso.com"))).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheHeadersCannotBeRead() throws Exception {
        assertThat(matcher(TWO_TENANTS).match(TestMails.withUnreadableHeaders())).hasSize(1);
    }

    @Test
    void initShouldThrowNamingTheMatcher() {
        assertThatThrownBy(() -> matcher("contoso: domains contoso.com"))
            .isInstanceOf(MessagingException.class)
            .hasMessage("FromNotOwnedByTenant: tenant 'contoso': no smarthost");
    }
}
