package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Collection;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import com.google.common.collect.ImmutableList;

class SenderHostnameEndsWithTest {
    private static final String RECIPIENT_1 = "one@external.example";
    private static final String RECIPIENT_2 = "two@external.example";

    static SenderHostnameEndsWith matcher(String condition) throws MessagingException {
        SenderHostnameEndsWith matcher = new SenderHostnameEndsWith();
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("SenderHostnameEndsWith")
            .condition(condition)
            .build());
        return matcher;
    }

    static Collection<MailAddress> matchRemoteHost(String condition, String remoteHost) throws MessagingException {
        return matcher(condition).match(FakeMail.builder()
            .name("mail")
            .sender("a@contoso.com")
            .recipients(RECIPIENT_1, RECIPIENT_2)
            .remoteHost(remoteHost)
            .remoteAddr("40.107.1.2")
            .build());
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHostIsBelowLeadingDotSuffix() throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", "mail-db8eur05on2100.outbound.protection.outlook.com"))
            .containsExactly(new MailAddress(RECIPIENT_1), new MailAddress(RECIPIENT_2));
    }

    @Test
    void matchShouldReturnNoRecipientWhenHostEqualsLeadingDotSuffix() throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", "protection.outlook.com")).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHostEqualsSuffixWithoutLeadingDot() throws Exception {
        assertThat(matchRemoteHost("protection.outlook.com", "protection.outlook.com")).hasSize(2);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHostIsBelowSuffixWithoutLeadingDot() throws Exception {
        assertThat(matchRemoteHost("protection.outlook.com", "mail-x.outbound.protection.outlook.com")).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "evilprotection.outlook.com",
        "mail.evilprotection.outlook.com",
        "protection.outlook.com.evil.example",
        "mail-x.outbound.protection.outlook.com.evil.example",
        "protection-outlook.com",
        "outlook.com",
        "mail.example.org"
    })
    void matchShouldReturnNoRecipientWhenHostIsNotOnLabelBoundary(String host) throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", host)).isEmpty();
        assertThat(matchRemoteHost("protection.outlook.com", host)).isEmpty();
    }

    @Test
    void matchShouldIgnoreOneTrailingDotOnTheHostName() throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", "mail-x.outbound.protection.outlook.com.")).hasSize(2);
    }

    @Test
    void matchShouldReturnNoRecipientWhenHostHasTwoTrailingDots() throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", "mail-x.outbound.protection.outlook.com..")).isEmpty();
    }

    @Test
    void matchShouldReturnNoRecipientWhenHostHasAnEmptyLabelRightAboveTheSuffix() throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", "a..protection.outlook.com")).isEmpty();
    }

    @Test
    void matchShouldIgnoreCaseOfHostAndSuffix() throws Exception {
        assertThat(matchRemoteHost(".Protection.OUTLOOK.com", "MAIL-X.Outbound.PROTECTION.outlook.COM")).hasSize(2);
    }

    @Test
    void matchShouldAcceptAnyOfSeveralSuffixes() throws Exception {
        assertThat(matchRemoteHost(".mail.protection.outlook.com, .outbound.protection.outlook.com", "mail-x.outbound.protection.outlook.com"))
            .hasSize(2);
        assertThat(matchRemoteHost(".mail.protection.outlook.com, .outbound.protection.outlook.com", "mail-x.inbound.protection.outlook.com"))
            .isEmpty();
    }

    @Test
    void matchShouldAcceptAFullyQualifiedSuffix() throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com.", "mail-x.outbound.protection.outlook.com")).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "40.107.1.2",
        "[40.107.1.2]",
        "2a01:111:f400::1",
        "[2a01:111:f400::1]",
        "[IPv6:2a01:111:f400::1]",
        "::ffff:40.107.1.2"
    })
    void matchShouldReturnNoRecipientWhenRemoteHostIsAnIpLiteral(String host) throws Exception {
        assertThat(matchRemoteHost("outlook.com", host)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "."})
    void matchShouldReturnNoRecipientWhenRemoteHostIsEmpty(String host) throws Exception {
        assertThat(matchRemoteHost(".protection.outlook.com", host)).isEmpty();
    }

    @Test
    void matchShouldReturnNoRecipientWhenRemoteHostIsNull() throws Exception {
        // FakeMail cannot carry a null remote host; a mail restored from an old spool can.
        Mail mail = mock(Mail.class);
        when(mail.getRemoteHost()).thenReturn(null);
        when(mail.getRecipients()).thenReturn(ImmutableList.of(new MailAddress(RECIPIENT_1)));

        assertThat(matcher(".protection.outlook.com").match(mail)).isEmpty();
    }

    @Test
    void matchShouldCompareInternationalisedNamesInPunycode() throws Exception {
        assertThat(matchRemoteHost(".bücher.example", "mx.xn--bcher-kva.example")).hasSize(2);
        assertThat(matchRemoteHost(".xn--bcher-kva.example", "mx.bücher.example")).hasSize(2);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void initShouldThrowWhenConditionIsEmpty(String condition) {
        assertThatThrownBy(() -> matcher(condition))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderHostnameEndsWith")
            .hasMessageContaining("condition is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "40.107.1.2",
        "2a01:111:f400::1",
        "[40.107.1.2]",
        "*.protection.outlook.com",
        ".protection..outlook.com",
        "protection outlook.com",
        "..protection.outlook.com",
        ".",
        "protection.outlook.com.."
    })
    void initShouldThrowWhenSuffixIsNotADnsName(String suffix) {
        assertThatThrownBy(() -> matcher(suffix))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderHostnameEndsWith")
            .hasMessageContaining("invalid entry");
    }

    @Test
    void initShouldThrowWhenAnEntryIsEmpty() {
        assertThatThrownBy(() -> matcher(".protection.outlook.com,,.example.com"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderHostnameEndsWith")
            .hasMessageContaining("empty entry");
    }

    @Test
    void initShouldAcceptUnderscoresInLabels() throws Exception {
        assertThat(matchRemoteHost("_relay.example.com", "a._relay.example.com")).hasSize(2);
    }

    @Test
    void getMatcherInfoShouldIncludeTheCondition() throws Exception {
        assertThat(matcher(".protection.outlook.com").getMatcherInfo())
            .contains("SenderHostnameEndsWith").contains(".protection.outlook.com");
    }
}
