package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.when;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.core.mail.MailAttributes;

class SmtpUtf8Test {
    private final SmtpUtf8 handler = new SmtpUtf8();
    private SMTPSession session;

    @BeforeEach
    void newSession() {
        session = TestSessions.withTransactionState();
    }

    private Request parse(String line) throws Exception {
        return handler.parseRequest(session, (line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The reply this handler gives itself, or empty when James's handlers get the command. */
    private Optional<String> reply(Request request) {
        Response response = handler.onCommand(session, request);
        return Optional.ofNullable(response).map(r -> r.getLines().get(0).toString());
    }

    @Test
    void ehloShouldOfferSmtpUtf8AndMailShouldTakeItsParameter() {
        assertThat(handler.getImplementedEsmtpFeatures(session)).containsExactly("SMTPUTF8");
        assertThat(handler.getMailParamNames()).containsExactly("SMTPUTF8");
        assertThat(handler.getImplCommands()).containsExactly("MAIL", "RCPT");
    }

    @Test
    void anAsciiLineShouldBeReadAsJamesReadsIt() throws Exception {
        Request request = parse("mail FROM:<a@contoso.com> XOORG=contoso.com");

        assertThat(request.getCommand()).isEqualTo("MAIL");
        assertThat(request.getArgument()).isEqualTo("FROM:<a@contoso.com> XOORG=contoso.com");
        assertThat(reply(request)).isEmpty();
    }

    @Test
    void aULabelSenderDomainWithSmtpUtf8ShouldReachJamesAsItsALabel() throws Exception {
        Request request = parse("MAIL FROM:<a@bücher.example> SMTPUTF8 XOORG=contoso.com");

        assertThat(request.getArgument()).isEqualTo("FROM:<a@xn--bcher-kva.example> SMTPUTF8 XOORG=contoso.com");
        assertThat(reply(request)).isEmpty();
    }

    @Test
    void aUtf8LocalPartShouldReachJamesQuotedAndItsUtf8FormShouldGoWithTheMail() throws Exception {
        Request mail = parse("MAIL FROM:<jürgen@bücher.example> SMTPUTF8");
        Request rcpt = parse("RCPT TO:<δοκιμή@παράδειγμα.example>");

        assertThat(mail.getArgument()).isEqualTo("FROM:<\"jürgen\"@xn--bcher-kva.example> SMTPUTF8");
        assertThat(rcpt.getArgument()).isEqualTo("TO:<\"δοκιμή\"@xn--hxajbheg2az3al.example>");
        MailAddress sender = new MailAddress("\"jürgen\"@xn--bcher-kva.example");
        MailAddress recipient = new MailAddress("\"δοκιμή\"@xn--hxajbheg2az3al.example");
        FakeMail received = FakeMail.builder().name("m").sender(sender).recipient(recipient).build();

        assertThat(handler.onMessage(session, received)).isEqualTo(HookResult.DECLINED);

        assertThat(received.getAttribute(MailAttributes.SMTPUTF8).map(a -> (Object) a.getValue().getValue())).contains(true);
        assertThat(received.getAttribute(MailAttributes.SMTPUTF8_ADDRESSES).map(a -> (Object) a.getValue().getValue()))
            .contains(Map.of(sender.asString(), AttributeValue.of("jürgen@bücher.example"),
                recipient.asString(), AttributeValue.of("δοκιμή@παράδειγμα.example")));
    }

    @Test
    void aUtf8RecipientAfterAnAsciiMailWithSmtpUtf8ShouldBeTaken() throws Exception {
        assertThat(handler.doMailParameter(session, "SMTPUTF8", "")).isEqualTo(HookResult.DECLINED);

        assertThat(parse("RCPT TO:<user@bücher.example>").getArgument()).isEqualTo("TO:<user@xn--bcher-kva.example>");
    }

    @Test
    void aLowerCaseSmtpUtf8OnAnAsciiMailShouldCountToo() throws Exception {
        parse("MAIL FROM:<a@contoso.com> smtputf8");

        assertThat(parse("RCPT TO:<user@bücher.example>").getArgument()).isEqualTo("TO:<user@xn--bcher-kva.example>");
    }

    @ParameterizedTest
    @ValueSource(strings = {"MAIL FROM:<a@bücher.example>", "MAIL FROM:<\"üser\"@contoso.com>", "MAIL FROM:<üser@contoso.com> SMTPUTF8=yes",
        "RCPT TO:<a@bücher.example>"})
    void anAddressOutsideAsciiWithoutSmtpUtf8ShouldBeRefusedWith553AndEnhancedCode567(String line) throws Exception {
        assertThat(reply(parse(line))).hasValueSatisfying(text -> assertThat(text).startsWith("553 5.6.7"));
    }

    @Test
    void bytesThatAreNotUtf8ShouldBeRefused() throws Exception {
        byte[] latin1 = "MAIL FROM:<j\u00fcrgen@contoso.com> SMTPUTF8\r\n".getBytes(StandardCharsets.ISO_8859_1);

        assertThat(reply(handler.parseRequest(session, latin1))).hasValueSatisfying(text -> assertThat(text).startsWith("501 5.5.2"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"MAIL FROM:<a@straße.de> SMTPUTF8", "MAIL FROM:<a@bÜcher.example> SMTPUTF8", "MAIL FROM:<a@b\u200Dcher.example> SMTPUTF8"})
    void aSenderDomainThatDoesNotNormalizeShouldBeRefused(String line) throws Exception {
        assertThat(reply(parse(line))).hasValueSatisfying(text -> assertThat(text).startsWith("553 5.1.7"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"MAIL FROM:<ü ser@contoso.com> SMTPUTF8", "MAIL FROM:<ü..ser@contoso.com> SMTPUTF8",
        "MAIL FROM:<@relay.example:üser@contoso.com> SMTPUTF8", "MAIL FROM:<üser\u200B@contoso.com> SMTPUTF8", "MAIL FROM:üser@contoso.com SMTPUTF8"})
    void aUtf8LocalPartThatIsNoAtomShouldBeRefused(String line) throws Exception {
        assertThat(reply(parse(line))).hasValueSatisfying(text -> assertThat(text).startsWith("553 5.1.7"));
    }

    @Test
    void aDomainThatDoesNotNormalizeShouldBeRefusedForARecipientToo() throws Exception {
        handler.doMailParameter(session, "SMTPUTF8", "");

        assertThat(reply(parse("RCPT TO:<a@straße.de>"))).hasValueSatisfying(text -> assertThat(text).startsWith("553 5.1.3"));
    }

    @Test
    void aQuotedUtf8LocalPartWithSmtpUtf8ShouldBeKeptAsTheClientWroteIt() throws Exception {
        assertThat(parse("MAIL FROM:<\"üser name\"@contoso.com> SMTPUTF8").getArgument()).isEqualTo("FROM:<\"üser name\"@contoso.com> SMTPUTF8");
    }

    @Test
    void smtpUtf8WithAValueShouldBeRefused() {
        assertThat(handler.doMailParameter(session, "SMTPUTF8", "yes").getSmtpRetCode()).isEqualTo("501");
    }

    @Test
    void aMailWithoutSmtpUtf8ShouldCarryNoAttribute() throws Exception {
        FakeMail received = FakeMail.builder().name("m").sender("a@contoso.com").recipient("b@example.org").build();

        handler.onMessage(session, received);

        assertThat(received.getAttribute(MailAttributes.SMTPUTF8)).isEmpty();
        assertThat(received.getAttribute(MailAttributes.SMTPUTF8_ADDRESSES)).isEmpty();
    }
}
