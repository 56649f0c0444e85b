package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.MailAttributes;

import com.google.common.collect.ImmutableMap;

class EnvelopeTest {
    private static final Set<String> EVERYTHING = Set.of("SIZE", "8BITMIME", "DSN");

    private static FakeMail mail(String body) throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(
            ("Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n")
                .getBytes(StandardCharsets.UTF_8)));
        DsnParameters dsn = DsnParameters.of(Optional.of(DsnParameters.EnvId.of("QQ+2B1")), Optional.of(DsnParameters.Ret.HDRS),
            ImmutableMap.of(
                new MailAddress("a@example.com"), DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.SUCCESS, DsnParameters.Notify.FAILURE)),
                new MailAddress("b@example.com"), DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.NEVER), new MailAddress("b@example.com"))))
            .orElseThrow();
        FakeMail mail = FakeMail.builder().name("m").mimeMessage(message).sender("s@example.com").size(1234)
            .recipients("a@example.com", "b@example.com", "c@example.com").build();
        mail.setDsnParameters(dsn);
        mail.setAttribute(new Attribute(MailAttributes.DSN_ORCPT, AttributeValue.of(Map.of("a@example.com", AttributeValue.of("utf-8;a+40example.com")))));
        return mail;
    }

    @Test
    void mailFromShouldCarrySizeRetAndEnvidToAHopOfferingThem() throws Exception {
        FakeMail mail = mail("ascii");

        String parameters = Envelope.of(mail, true).mailParameters(EVERYTHING::contains);

        assertThat(parameters).isEqualTo(" SIZE=1234 RET=HDRS ENVID=QQ+2B1");
    }

    @Test
    void rcptShouldCarryEachRecipientsOwnNotifyAndRawOrcpt() throws Exception {
        Envelope envelope = Envelope.of(mail("ascii"), true);

        assertThat(envelope.rcptParameters("a@example.com", EVERYTHING::contains)).isEqualTo(" NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;a+40example.com");
        assertThat(envelope.rcptParameters("B@example.com", EVERYTHING::contains)).isEqualTo(" NOTIFY=NEVER ORCPT=rfc822;b@example.com");
        assertThat(envelope.rcptParameters("c@example.com", EVERYTHING::contains)).isEmpty();
    }

    @Test
    void aHopWithoutTheExtensionsShouldGetNoParameters() throws Exception {
        Envelope envelope = Envelope.of(mail("caf\u00e9"), false);

        assertThat(envelope.mailParameters(keyword -> false)).isEmpty();
        assertThat(envelope.rcptParameters("a@example.com", keyword -> false)).isEmpty();
    }

    @Test
    void anEightBitBodyShouldBeDeclaredOnlyWhenTheHopTakesIt() throws Exception {
        FakeMail mail = mail("caf\u00e9");

        assertThat(Envelope.of(mail, true).mailParameters(Set.of("8BITMIME")::contains)).isEqualTo(" BODY=8BITMIME");
        assertThat(Envelope.of(mail, false).mailParameters(Set.of("8BITMIME")::contains)).isEmpty();
        assertThat(Envelope.of(mail("ascii"), true).mailParameters(Set.of("8BITMIME")::contains)).isEmpty();
    }

    @Test
    void theClientsBodyDeclarationShouldCount() throws Exception {
        FakeMail mail = mail("ascii");
        mail.setAttribute(new Attribute(MailAttributes.BODY, AttributeValue.of("8BITMIME")));

        assertThat(Envelope.of(mail, true).mailParameters(Set.of("8BITMIME")::contains)).isEqualTo(" BODY=8BITMIME");
    }

    @Test
    void onlyDeliveredRecipientsAskingForSuccessShouldGetARelayedNotice() throws Exception {
        List<MailAddress> asking = Envelope.askingForSuccess(mail("ascii"),
            List.of(new InternetAddress("a@example.com"), new InternetAddress("b@example.com"), new InternetAddress("c@example.com")));

        assertThat(asking).containsExactly(new MailAddress("a@example.com"));
        assertThat(Envelope.askingForSuccess(mail("ascii"), List.of(new InternetAddress("b@example.com")))).isEmpty();
    }

    @Test
    void aRecipientDeliveredInItsUtf8FormShouldStillGetItsRelayedNotice() throws Exception {
        InternetAddress writtenInUtf8 = new InternetAddress();
        writtenInUtf8.setAddress("\u00e4@example.com");

        List<MailAddress> asking = Envelope.askingForSuccess(mail("ascii"), List.of(writtenInUtf8),
            address -> address.equals("a@example.com") ? "\u00e4@example.com" : address);

        assertThat(asking).containsExactly(new MailAddress("a@example.com"));
        assertThat(Envelope.askingForSuccess(mail("ascii"), List.of(writtenInUtf8))).as("matched by James's form alone").isEmpty();
    }
}
