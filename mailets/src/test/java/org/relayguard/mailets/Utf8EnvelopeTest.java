package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import javax.mail.Address;
import javax.mail.internet.InternetAddress;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.MailAttributes;

class Utf8EnvelopeTest {
    private static final String SENDER = "\"jürgen\"@xn--bcher-kva.example";
    private static final String RECIPIENT = "someone@xn--bcher-kva.example";

    /** A mail as the SMTP handler SmtpUtf8 leaves it: James's forms, the client's UTF-8 forms in an attribute. */
    private static FakeMail smtpUtf8Mail(String sender, String recipient) throws Exception {
        FakeMail mail = FakeMail.builder().name("m").sender(new MailAddress(sender)).recipient(new MailAddress(recipient)).build();
        mail.setAttribute(new Attribute(MailAttributes.SMTPUTF8, AttributeValue.of(true)));
        mail.setAttribute(new Attribute(MailAttributes.SMTPUTF8_ADDRESSES, AttributeValue.of(Map.of(
            SENDER, AttributeValue.of("jürgen@bücher.example"), RECIPIENT, AttributeValue.of("someone@bücher.example")))));
        return mail;
    }

    @Test
    void aMailWithoutSmtpUtf8ShouldHaveNoUtf8Envelope() throws Exception {
        assertThat(Utf8Envelope.of(FakeMail.builder().name("m").sender("a@contoso.com").recipient("b@example.org").build())).isEmpty();
    }

    @Test
    void aUtf8LocalPartShouldNeedSmtpUtf8AndAUtf8DomainAloneShouldNot() throws Exception {
        FakeMail utf8LocalPart = smtpUtf8Mail(SENDER, RECIPIENT);
        FakeMail utf8DomainOnly = smtpUtf8Mail("a@xn--bcher-kva.example", RECIPIENT);
        List<InternetAddress> recipients = List.of(new InternetAddress(RECIPIENT));

        assertThat(Utf8Envelope.of(utf8LocalPart).orElseThrow().needsSmtpUtf8(recipients)).isTrue();
        assertThat(Utf8Envelope.needsSmtpUtf8(utf8LocalPart)).isTrue();
        assertThat(Utf8Envelope.of(utf8DomainOnly).orElseThrow().needsSmtpUtf8(recipients)).isFalse();
        assertThat(Utf8Envelope.needsSmtpUtf8(utf8DomainOnly)).isFalse();
    }

    @Test
    void theEnvelopeShouldBeWrittenInTheClientsUtf8Forms() throws Exception {
        Utf8Envelope envelope = Utf8Envelope.of(smtpUtf8Mail(SENDER, RECIPIENT)).orElseThrow();
        Address other = new InternetAddress("b@example.org");

        Address[] written = envelope.utf8Recipients(new Address[] {new InternetAddress(RECIPIENT), other});

        assertThat(envelope.utf8Sender()).isEqualTo("jürgen@bücher.example");
        assertThat(((InternetAddress) written[0]).getAddress()).isEqualTo("someone@bücher.example");
        assertThat(written[1]).isSameAs(other);
    }
}
