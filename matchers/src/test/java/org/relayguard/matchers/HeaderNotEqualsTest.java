package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relayguard.core.mail.TestMails.RECIPIENT;
import static org.relayguard.core.mail.TestMails.withHeaders;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.decision.OrgClause;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.TestMails;

class HeaderNotEqualsTest {
    private static final String ORG_CONDITION = "X-OriginatorOrg:contoso.onmicrosoft.com, contoso.com";

    private static final String ORG_CLAUSE_ORGS = "contoso.onmicrosoft.com, Contoso.COM";

    static HeaderNotEquals matcher(String condition) throws MessagingException {
        HeaderNotEquals matcher = new HeaderNotEquals();
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("HeaderNotEquals")
            .condition(condition)
            .build());
        return matcher;
    }

    @Test
    void matchShouldReturnNoRecipientWhenTheOnlyInstanceEqualsAValue() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: contoso.com"))).isEmpty();
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: contoso.onmicrosoft.com"))).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheInstanceEqualsNoValue() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: evil.onmicrosoft.com")))
            .containsExactly(new MailAddress(RECIPIENT));
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHeaderIsAbsent() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders())).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenOneForgedInstanceStandsAmongGoodOnes() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders(
            "X-OriginatorOrg: contoso.com",
            "X-OriginatorOrg: evil.example",
            "X-OriginatorOrg: contoso.onmicrosoft.com")))
            .hasSize(1);
    }

    @Test
    void matchShouldReturnNoRecipientWhenEveryInstanceEqualsSomeValue() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders(
            "X-OriginatorOrg: contoso.com",
            "X-OriginatorOrg: contoso.onmicrosoft.com")))
            .isEmpty();
    }

    @Test
    void matchShouldNotTreatASubstringAsEqual() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: contoso.com.evil.example"))).hasSize(1);
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: contoso"))).hasSize(1);
    }

    @Test
    void matchShouldIgnoreCaseOfHeaderNameAndValue() throws Exception {
        assertThat(matcher("x-originatororg:CONTOSO.com").match(withHeaders("X-ORIGINATORORG: Contoso.COM"))).isEmpty();
        assertThat(matcher("x-ms-exchange-generated-message-source:mailbox rules agent")
            .match(withHeaders("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent")))
            .isEmpty();
    }

    @Test
    void matchShouldUnfoldAFoldedInstance() throws Exception {
        assertThat(matcher("X-MS-Exchange-Generated-Message-Source:Mailbox Rules Agent")
            .match(withHeaders("X-MS-Exchange-Generated-Message-Source: Mailbox\r\n Rules\r\n\tAgent")))
            .isEmpty();
    }

    @Test
    void matchShouldCollapseAndTrimWhitespace() throws Exception {
        assertThat(matcher("X-MS-Exchange-Generated-Message-Source:Mailbox Rules Agent")
            .match(withHeaders("X-MS-Exchange-Generated-Message-Source:    Mailbox  \t Rules   Agent   ")))
            .isEmpty();
    }

    @Test
    void matchShouldNormaliseConfiguredValuesTheSameWay() throws Exception {
        assertThat(matcher("X-MS-Exchange-Generated-Message-Source:  MAILBOX   rules agent ")
            .match(withHeaders("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent")))
            .isEmpty();
    }

    @Test
    void matchShouldDecodeRfc2047EncodedWords() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: =?utf-8?B?Y29udG9zby5jb20=?="))).isEmpty();
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: =?iso-8859-1?Q?contoso.onmicrosoft.com?="))).isEmpty();
    }

    @Test
    void matchShouldDecodeAnEncodedWordThatHidesAForeignValue() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: =?utf-8?Q?evil.example?="))).hasSize(1);
    }

    @Test
    void matchShouldKeepAnUndecodableEncodedWordAsWrittenAndMatch() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: =?no-such-charset?B?Y29udG9zby5jb20=?="))).hasSize(1);
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg: =?utf-8?X?contoso.com?="))).hasSize(1);
    }

    @Test
    void matchShouldCompareAnUndecodableEncodedWordAsWritten() throws Exception {
        assertThat(matcher("X-Test:=?no-such-charset?B?abc?=").match(withHeaders("X-Test: =?no-such-charset?B?abc?="))).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenAnInstanceIsEmpty() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders("X-OriginatorOrg:"))).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHeadersCannotBeRead() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(TestMails.withUnreadableHeaders())).hasSize(1);
    }

    @Test
    void matchShouldOnlyLookAtTheConfiguredHeader() throws Exception {
        assertThat(matcher(ORG_CONDITION).match(withHeaders(
            "X-OriginatorOrg: contoso.com",
            "X-Other: evil.example")))
            .isEmpty();
    }

    @Test
    void matchShouldSplitTheConditionAtTheFirstColonOnly() throws Exception {
        assertThat(matcher("X-Test:a:b, c").match(withHeaders("X-Test: a:b"))).isEmpty();
        assertThat(matcher("X-Test:a:b, c").match(withHeaders("X-Test: c"))).isEmpty();
        assertThat(matcher("X-Test:a:b, c").match(withHeaders("X-Test: a"))).hasSize(1);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void initShouldThrowWhenConditionIsEmpty(String condition) {
        assertThatThrownBy(() -> matcher(condition))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotEquals")
            .hasMessageContaining("is required");
    }

    @Test
    void initShouldThrowWhenTheColonIsMissing() {
        assertThatThrownBy(() -> matcher("X-OriginatorOrg contoso.com"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotEquals")
            .hasMessageContaining("missing ':'");
    }

    @ParameterizedTest
    @ValueSource(strings = {":contoso.com", "X Originator Org:contoso.com", "X-Orig\u00e9natorOrg:contoso.com", " :contoso.com"})
    void initShouldThrowWhenTheHeaderNameIsInvalid(String condition) {
        assertThatThrownBy(() -> matcher(condition))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotEquals")
            .hasMessageContaining("invalid header name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-OriginatorOrg:", "X-OriginatorOrg:  ", "X-OriginatorOrg:, ,"})
    void initShouldThrowWhenNoValueIsGiven(String condition) {
        assertThatThrownBy(() -> matcher(condition))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotEquals")
            .hasMessageContaining("no value");
    }

    @Test
    void getMatcherInfoShouldIncludeTheCondition() throws Exception {
        assertThat(matcher(ORG_CONDITION).getMatcherInfo()).contains("HeaderNotEquals").contains("X-OriginatorOrg");
    }

    /** The decision log and the report judge the X-OriginatorOrg clause with core's OrgClause: it must agree with this matcher. */
    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "X-OriginatorOrg: contoso.com",
        "X-OriginatorOrg: evil.onmicrosoft.com",
        "X-OriginatorOrg: contoso.com|X-OriginatorOrg: evil.example",
        "X-OriginatorOrg:  Contoso.Onmicrosoft.Com |x-originatororg: contoso.com",
        "X-OriginatorOrg: contoso\r\n .com",
        "X-OriginatorOrg: contoso.com.evil.example"})
    void orgClauseShouldDenyExactlyWhenThisMatcherMatches(String headers) throws Exception {
        String[] lines = headers.isEmpty() ? new String[0] : headers.split("\\|");
        FakeMail mail = withHeaders(lines);
        boolean matcherDenies = !matcher("X-OriginatorOrg:" + ORG_CLAUSE_ORGS).match(mail).isEmpty();

        assertThat(OrgClause.evaluate(HeaderValues.instances(mail, "x-originatororg"), HeaderValues.normaliseList(ORG_CLAUSE_ORGS)).denies()).isEqualTo(matcherDenies);
    }
}
