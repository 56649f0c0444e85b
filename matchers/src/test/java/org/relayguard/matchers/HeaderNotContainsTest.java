package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relayguard.core.mail.TestMails.withHeaders;

import javax.mail.MessagingException;

import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.TestMails;

class HeaderNotContainsTest {
    private static final String SOURCE_CONDITION = "X-MS-Exchange-Generated-Message-Source:Mailbox Rules Agent";

    static HeaderNotContains matcher(String condition) throws MessagingException {
        HeaderNotContains matcher = new HeaderNotContains();
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("HeaderNotContains")
            .condition(condition)
            .build());
        return matcher;
    }

    @Test
    void matchShouldReturnNoRecipientWhenTheInstanceContainsAValue() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(withHeaders(
            "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent; Forwarding")))
            .isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenTheInstanceContainsNoValue() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(withHeaders(
            "X-MS-Exchange-Generated-Message-Source: Web Services")))
            .hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHeaderIsAbsent() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(withHeaders())).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenOneForgedInstanceStandsAmongGoodOnes() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(withHeaders(
            "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent",
            "X-MS-Exchange-Generated-Message-Source: Transport")))
            .hasSize(1);
    }

    @Test
    void matchShouldReturnNoRecipientWhenEveryInstanceContainsSomeValue() throws Exception {
        assertThat(matcher("X-Test:alpha, beta").match(withHeaders("X-Test: one alpha", "X-Test: beta two"))).isEmpty();
    }

    @Test
    void matchShouldIgnoreCaseFoldingAndWhitespace() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(withHeaders(
            "x-ms-exchange-generated-message-source: [MAILBOX\r\n   rules   AGENT]")))
            .isEmpty();
    }

    @Test
    void matchShouldDecodeRfc2047EncodedWords() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(withHeaders(
            "X-MS-Exchange-Generated-Message-Source: =?utf-8?Q?Mailbox_Rules_Agent?=")))
            .isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenHeadersCannotBeRead() throws Exception {
        assertThat(matcher(SOURCE_CONDITION).match(TestMails.withUnreadableHeaders())).hasSize(1);
    }

    @Test
    void initShouldThrowWhenConditionIsEmpty() {
        assertThatThrownBy(() -> matcher(""))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotContains")
            .hasMessageContaining("is required");
    }

    @Test
    void initShouldThrowWhenTheColonIsMissing() {
        assertThatThrownBy(() -> matcher("X-MS-Exchange-Generated-Message-Source"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotContains")
            .hasMessageContaining("missing ':'");
    }

    @Test
    void initShouldThrowWhenNoValueIsGiven() {
        assertThatThrownBy(() -> matcher("X-MS-Exchange-Generated-Message-Source: ,"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotContains")
            .hasMessageContaining("no value");
    }

    @Test
    void initShouldThrowWhenTheHeaderNameIsInvalid() {
        assertThatThrownBy(() -> matcher("Bad Name:x"))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("HeaderNotContains")
            .hasMessageContaining("invalid header name");
    }
}
