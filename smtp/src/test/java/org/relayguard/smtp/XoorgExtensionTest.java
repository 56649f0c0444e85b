package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import java.util.Optional;

import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.mail.MailAttributes;

class XoorgExtensionTest {
    private final XoorgExtension extension = new XoorgExtension();
    private SMTPSession session;

    @BeforeEach
    void newSession() {
        session = TestSessions.withTransactionState();
    }

    private Optional<Object> xoorgOfTheNextMail() throws Exception {
        FakeMail mail = FakeMail.builder().name("mail").build();
        assertThat(extension.onMessage(session, mail)).isEqualTo(HookResult.DECLINED);
        return mail.getAttribute(MailAttributes.XOORG).map(attribute -> attribute.getValue().getValue());
    }

    @Test
    void ehloShouldAdvertiseXoorg() {
        assertThat(extension.getImplementedEsmtpFeatures(session)).containsExactly("XOORG");
    }

    @Test
    void theHookShouldHandleTheXoorgParameter() {
        assertThat(extension.getMailParamNames()).containsExactly("XOORG");
    }

    @Test
    void doMailParameterShouldAcceptADomainAndTheMessageShouldCarryItsCanonicalForm() throws Exception {
        assertThat(extension.doMailParameter(session, "XOORG", "Contoso.OnMicrosoft.com.")).isEqualTo(HookResult.DECLINED);

        assertThat(xoorgOfTheNextMail()).contains("contoso.onmicrosoft.com");
    }

    @Test
    void doMailParameterShouldDecodeXtext() throws Exception {
        extension.doMailParameter(session, "XOORG", "contoso+2Eonmicrosoft+2Ecom");

        assertThat(xoorgOfTheNextMail()).contains("contoso.onmicrosoft.com");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "contoso", "evil..example", "*.contoso.com", "192.0.2.1", "[192.0.2.1]", "a@contoso.com",
        "contoso.com+", "contoso.com+ZZ", "contoso+20.com", "contoso.com=x", "con_toso.com", "-contoso.com"})
    void doMailParameterShouldAnswer501AndStoreNothingForAMalformedValue(String value) throws Exception {
        HookResult result = extension.doMailParameter(session, "XOORG", value);

        assertThat(result.getSmtpRetCode()).isEqualTo("501");
        assertThat(result.getSmtpDescription()).isEqualTo("5.5.4 XOORG value must be a domain name");
        assertThat(xoorgOfTheNextMail()).isEmpty();
    }

    @Test
    void doMailParameterShouldAnswer501ForASecondXoorgInTheSameCommand() {
        extension.doMailParameter(session, "XOORG", "contoso.com");

        HookResult result = extension.doMailParameter(session, "XOORG", "evil.example");

        assertThat(result.getSmtpRetCode()).isEqualTo("501");
        assertThat(result.getSmtpDescription()).isEqualTo("5.5.4 XOORG given more than once");
    }

    @Test
    void onMessageShouldSetNoAttributeWhenTheSessionGaveNoXoorg() throws Exception {
        assertThat(xoorgOfTheNextMail()).isEmpty();
    }

    @Test
    void onMessageShouldStoreTheValueAsAString() throws Exception {
        extension.doMailParameter(session, "XOORG", "contoso.com");
        FakeMail mail = FakeMail.builder().name("mail").build();

        extension.onMessage(session, mail);

        assertThat(mail.getAttribute(MailAttributes.XOORG).orElseThrow().getValue())
            .isEqualTo(AttributeValue.of("contoso.com"));
    }

    @Test
    void aRefusedMailCommandShouldForgetItsXoorg() throws Exception {
        extension.doMailParameter(session, "XOORG", "contoso.com");

        extension.onResponse(session, new SMTPResponse("501", "5.1.7 Syntax error in sender address"), 1, mock(MailCmdHandler.class));

        assertThat(xoorgOfTheNextMail()).isEmpty();
    }

    @Test
    void anAcceptedMailCommandShouldKeepItsXoorg() throws Exception {
        extension.doMailParameter(session, "XOORG", "contoso.com");

        extension.onResponse(session, new SMTPResponse("250", "2.1.0 Sender <a@contoso.com> OK"), 1, mock(MailCmdHandler.class));

        assertThat(xoorgOfTheNextMail()).contains("contoso.com");
    }

    @Test
    void aRefusedRecipientShouldNotForgetTheXoorgOfTheTransaction() throws Exception {
        extension.doMailParameter(session, "XOORG", "contoso.com");

        extension.onResponse(session, new SMTPResponse("550", "5.7.1 Requested action not taken"), 1, mock(RcptCmdHandler.class));

        assertThat(xoorgOfTheNextMail()).contains("contoso.com");
    }

    @Test
    void onResponseShouldPassTheResponseOnUnchanged() {
        SMTPResponse response = new SMTPResponse("501", "5.5.4 XOORG value must be a domain name");

        assertThat(extension.onResponse(session, response, 1, mock(MailCmdHandler.class))).isSameAs(response);
    }
}
