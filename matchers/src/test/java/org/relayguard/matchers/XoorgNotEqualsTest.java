package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.core.mail.TestMails;

class XoorgNotEqualsTest {
    private static final String RECIPIENT = "someone@external.example";
    private static final String ORGS = "contoso.onmicrosoft.com, contoso.com";

    static XoorgNotEquals matcher(String condition) throws MessagingException {
        XoorgNotEquals matcher = new XoorgNotEquals();
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("XoorgNotEquals")
            .condition(condition)
            .build());
        return matcher;
    }

    static FakeMail mail() throws MessagingException {
        return FakeMail.builder()
            .name("mail")
            .sender("a@contoso.com")
            .recipient(RECIPIENT)
            .build();
    }

    static FakeMail mailWithXoorg(Object value) throws MessagingException {
        FakeMail mail = mail();
        mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.ofAny(value)));
        return mail;
    }

    @Test
    void matchShouldReturnNoRecipientWhenTheSessionGaveOneOfTheOrganizations() throws Exception {
        assertThat(matcher(ORGS).match(mailWithXoorg("contoso.onmicrosoft.com"))).isEmpty();
        assertThat(matcher(ORGS).match(mailWithXoorg("contoso.com"))).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheSessionGaveAForeignOrganization() throws Exception {
        assertThat(matcher(ORGS).match(mailWithXoorg("evil.onmicrosoft.com"))).containsExactly(new MailAddress(RECIPIENT));
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheSessionGaveNoXoorg() throws Exception {
        assertThat(matcher(ORGS).match(mail())).containsExactly(new MailAddress(RECIPIENT));
    }

    @Test
    void matchShouldIgnoreAHeaderThatClaimsOurOrganization() throws Exception {
        FakeMail mail = FakeMail.builder()
            .name("mail")
            .sender("a@contoso.com")
            .recipient(RECIPIENT)
            .mimeMessage(TestMails.message("X-OriginatorOrg: contoso.com"))
            .attribute(new Attribute(MailAttributes.XOORG, AttributeValue.of("evil.onmicrosoft.com")))
            .build();

        assertThat(matcher(ORGS).match(mail)).hasSize(1);
    }

    @Test
    void matchShouldNotTreatASubstringOrSubdomainAsEqual() throws Exception {
        assertThat(matcher(ORGS).match(mailWithXoorg("contoso.com.evil.example"))).hasSize(1);
        assertThat(matcher(ORGS).match(mailWithXoorg("evil.contoso.com"))).hasSize(1);
        assertThat(matcher(ORGS).match(mailWithXoorg("contoso"))).hasSize(1);
    }

    @Test
    void matchShouldIgnoreCaseSurroundingWhitespaceAndOneTrailingDot() throws Exception {
        assertThat(matcher("CONTOSO.onmicrosoft.COM").match(mailWithXoorg(" Contoso.OnMicrosoft.com. "))).isEmpty();
        assertThat(matcher("  contoso.com.  ").match(mailWithXoorg("contoso.com"))).isEmpty();
    }

    @Test
    void matchShouldCompareInternationalisedNamesInTheirAsciiForm() throws Exception {
        assertThat(matcher("b\u00fccher.example").match(mailWithXoorg("xn--bcher-kva.example"))).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheAttributeIsEmpty() throws Exception {
        assertThat(matcher(ORGS).match(mailWithXoorg(""))).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheAttributeIsNotADomain() throws Exception {
        assertThat(matcher(ORGS).match(mailWithXoorg("contoso.com, evil.example"))).hasSize(1);
        assertThat(matcher(ORGS).match(mailWithXoorg("192.0.2.1"))).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheAttributeIsNotAString() throws Exception {
        assertThat(matcher(ORGS).match(mailWithXoorg(42))).hasSize(1);
        assertThat(matcher(ORGS).match(mailWithXoorg(true))).hasSize(1);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void initShouldThrowWhenConditionIsEmpty(String condition) {
        assertThatThrownBy(() -> matcher(condition))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("XoorgNotEquals")
            .hasMessageContaining("is required");
    }

    @Test
    void initShouldThrowWhenAnEntryIsEmpty() {
        assertThatThrownBy(() -> matcher("contoso.com,,contoso.onmicrosoft.com"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("XoorgNotEquals")
            .hasMessageContaining("empty entry");
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.contoso.com", "contoso..com", "192.0.2.1", "contoso com", "X-OriginatorOrg:contoso.com"})
    void initShouldThrowWhenAnEntryIsNotADomain(String entry) {
        assertThatThrownBy(() -> matcher("contoso.com, " + entry))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("XoorgNotEquals")
            .hasMessageContaining("invalid entry '" + entry + "'");
    }

    @Test
    void getMatcherInfoShouldIncludeTheCondition() throws Exception {
        assertThat(matcher(ORGS).getMatcherInfo()).isEqualTo("XoorgNotEquals=" + ORGS);
    }
}
