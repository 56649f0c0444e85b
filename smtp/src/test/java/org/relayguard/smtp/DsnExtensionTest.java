package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import java.util.EnumSet;
import java.util.Map;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.mail.MailAttributes;

class DsnExtensionTest {
    private final DsnExtension extension = new DsnExtension();
    private final RcptCmdHandler rcptHandler = mock(RcptCmdHandler.class);
    private final MailCmdHandler mailHandler = mock(MailCmdHandler.class);
    private SMTPSession session;

    @BeforeEach
    void newSession() {
        session = TestSessions.withTransactionState();
    }

    /** A RCPT as James runs it: the hook, then the reply (250 unless the hook or a later one refused). */
    private HookResult rcpt(String address, Map<String, String> parameters, String reply) throws Exception {
        HookResult result = extension.doRcpt(session, MaybeSender.nullSender(), new MailAddress(address), parameters);
        String code = result.equals(HookResult.DECLINED) ? reply : result.getSmtpRetCode();
        extension.onResponse(session, new SMTPResponse(code, "reply"), 0, rcptHandler);
        return result;
    }

    private FakeMail message() throws Exception {
        FakeMail mail = FakeMail.builder().name("mail").build();
        assertThat(extension.onMessage(session, mail)).isEqualTo(HookResult.DECLINED);
        return mail;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, AttributeValue<?>> orcpts(FakeMail mail) {
        return (Map<String, AttributeValue<?>>) mail.getAttribute(MailAttributes.DSN_ORCPT).orElseThrow().getValue().getValue();
    }

    @Test
    void ehloShouldOfferDsn() {
        assertThat(extension.getImplementedEsmtpFeatures(session)).containsExactly("DSN");
        assertThat(extension.getMailParamNames()).containsExactlyInAnyOrder("RET", "ENVID", "BODY");
        assertThat(extension.supportedParameters()).containsExactlyInAnyOrder("NOTIFY", "ORCPT");
    }

    @Test
    void messageShouldCarryRetEnvidNotifyAndOrcptPerRecipient() throws Exception {
        assertThat(extension.doMailParameter(session, "RET", "hdrs")).isEqualTo(HookResult.DECLINED);
        assertThat(extension.doMailParameter(session, "ENVID", "QQ314159+2Bx")).isEqualTo(HookResult.DECLINED);
        rcpt("a@example.com", Map.of("NOTIFY", "success,failure", "ORCPT", "rfc822;a+40example.com"), "250");
        rcpt("b@example.com", Map.of("NOTIFY", "NEVER"), "250");

        FakeMail mail = message();

        DsnParameters dsn = mail.dsnParameters().orElseThrow();
        assertThat(dsn.getRetParameter()).contains(DsnParameters.Ret.HDRS);
        assertThat(dsn.getEnvIdParameter().orElseThrow().asString()).isEqualTo("QQ314159+2Bx");
        assertThat(dsn.getRcptParameters().get(new MailAddress("a@example.com")))
            .isEqualTo(DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.SUCCESS, DsnParameters.Notify.FAILURE),
                new MailAddress("a@example.com")));
        assertThat(dsn.getRcptParameters().get(new MailAddress("b@example.com")))
            .isEqualTo(DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.NEVER)));
        assertThat(orcpts(mail)).containsOnlyKeys("a@example.com");
        assertThat(orcpts(mail).get("a@example.com").getValue()).isEqualTo("rfc822;a+40example.com");
    }

    @Test
    void orcptOfAnyAddrTypeShouldBeCarriedRawButNotGivenToJames() throws Exception {
        assertThat(rcpt("a@example.com", Map.of("ORCPT", "utf-8;J+C3+a9r+C3+b4me+40example.com"), "250")).isEqualTo(HookResult.DECLINED);
        rcpt("b@example.com", Map.of("ORCPT", "RFC822;b+2Bx@example.com", "NOTIFY", "FAILURE"), "250");

        FakeMail mail = message();

        assertThat(orcpts(mail).get("a@example.com").getValue()).isEqualTo("utf-8;J+C3+A9r+C3+B4me+40example.com");
        assertThat(orcpts(mail).get("b@example.com").getValue()).isEqualTo("RFC822;b+2Bx@example.com");
        DsnParameters dsn = mail.dsnParameters().orElseThrow();
        assertThat(dsn.getRcptParameters()).doesNotContainKey(new MailAddress("a@example.com"));
        assertThat(dsn.getRcptParameters().get(new MailAddress("b@example.com")).getOrcptParameter())
            .contains(new MailAddress("b+x@example.com"));
    }

    @Test
    void aRepeatedRcptShouldKeepTheLastAcceptedParameters() throws Exception {
        rcpt("a@example.com", Map.of("NOTIFY", "SUCCESS"), "250");
        rcpt("a@example.com", Map.of("NOTIFY", "NEVER"), "250");
        rcpt("a@example.com", Map.of("NOTIFY", "DELAY"), "452");

        DsnParameters dsn = message().dsnParameters().orElseThrow();

        assertThat(dsn.getRcptParameters().get(new MailAddress("a@example.com")).getNotifyParameter())
            .contains(EnumSet.of(DsnParameters.Notify.NEVER));
    }

    @Test
    void aRefusedRcptShouldLeaveNothingBehind() throws Exception {
        rcpt("a@example.com", Map.of("NOTIFY", "SUCCESS", "ORCPT", "rfc822;a@example.com"), "550");

        FakeMail mail = message();

        assertThat(mail.dsnParameters()).isEmpty();
        assertThat(mail.getAttribute(MailAttributes.DSN_ORCPT)).isEmpty();
    }

    @Test
    void aRefusedMailShouldForgetItsParameters() throws Exception {
        extension.doMailParameter(session, "RET", "FULL");
        extension.doMailParameter(session, "BODY", "8BITMIME");
        extension.onResponse(session, new SMTPResponse("550", "no"), 0, mailHandler);

        FakeMail mail = message();

        assertThat(mail.dsnParameters()).isEmpty();
        assertThat(mail.getAttribute(MailAttributes.BODY)).isEmpty();
    }

    @Test
    void bodyShouldBeRecordedUpperCase() throws Exception {
        assertThat(extension.doMailParameter(session, "BODY", "8bitmime")).isEqualTo(HookResult.DECLINED);

        assertThat(message().getAttribute(MailAttributes.BODY).orElseThrow().getValue().getValue()).isEqualTo("8BITMIME");
    }

    @ParameterizedTest
    @ValueSource(strings = {"RET=", "RET=ALL", "ENVID=", "ENVID=a=b", "ENVID=a+2", "ENVID=a+ZZ", "ENVID=caf\u00e9", "BODY=BINARYMIME", "BODY="})
    void aMalformedMailParameterShouldGet501(String parameter) {
        String[] nameAndValue = parameter.split("=", 2);

        HookResult result = extension.doMailParameter(session, nameAndValue[0], nameAndValue[1]);

        assertThat(result.getSmtpRetCode()).isEqualTo("501");
        assertThat(result.getSmtpDescription()).startsWith("5.5.4");
    }

    @Test
    void aRepeatedMailParameterShouldGet501() {
        extension.doMailParameter(session, "RET", "FULL");

        assertThat(extension.doMailParameter(session, "RET", "FULL").getSmtpRetCode()).isEqualTo("501");
    }

    @Test
    void anEnvidOverOneHundredCharactersShouldGet501() {
        assertThat(extension.doMailParameter(session, "ENVID", "x".repeat(101)).getSmtpRetCode()).isEqualTo("501");
        assertThat(extension.doMailParameter(session, "ENVID", "x".repeat(100))).isEqualTo(HookResult.DECLINED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"NOTIFY=", "NOTIFY=NEVER,SUCCESS", "NOTIFY=SUCCESS,,FAILURE", "NOTIFY=SOMETIMES", "NOTIFY=SUCCESS,SUCCESS",
        "ORCPT=", "ORCPT=a@example.com", "ORCPT=;a@example.com", "ORCPT=rfc822;", "ORCPT=rfc822;a=b", "ORCPT=rfc822;a+4",
        "ORCPT=rfc 822;a", "ORCPT=rfc822;caf\u00e9"})
    void aMalformedRcptParameterShouldGet501AndLeaveNothing(String parameter) throws Exception {
        String[] nameAndValue = parameter.split("=", 2);

        HookResult result = rcpt("a@example.com", Map.of(nameAndValue[0], nameAndValue[1]), "250");

        assertThat(result.getSmtpRetCode()).isEqualTo("501");
        assertThat(message().dsnParameters()).isEmpty();
    }

    @Test
    void notifyShouldBeCanonical() {
        assertThat(DsnExtension.notify("delay,Success")).contains("SUCCESS,DELAY");
        assertThat(DsnExtension.notify("never")).contains("NEVER");
    }
}
