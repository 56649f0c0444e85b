package org.relayguard.core.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Domain;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;

class FromDomainsTest {

    /** A mail whose From: is written in raw UTF-8 on the wire (RFC 6532), as an SMTPUTF8 client sends it. */
    private static FakeMail fromHeader(String from) throws MessagingException {
        String raw = "From: " + from + "\r\nTo: someone@external.example\r\nSubject: t\r\n\r\nbody\r\n";
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8)));
        return FakeMail.builder().name("mail").sender("a@evil.example").recipient("someone@external.example").mimeMessage(message).build();
    }

    @Test
    void aUtf8FromDomainShouldCountAsItsALabelForm() throws Exception {
        assertThat(FromDomains.of(fromHeader("Jürgen <jürgen@bücher.example>"))).containsExactly(Domain.of("xn--bcher-kva.example"));
    }

    @Test
    void anAsciiFromDomainShouldCountAsBefore() throws Exception {
        assertThat(FromDomains.of(fromHeader("=?UTF-8?Q?J=C3=BCrgen?= <a@Contoso.com>"))).containsExactly(Domain.of("contoso.com"));
    }

    @Test
    void aUtf8FromDomainThatDoesNotNormalizeShouldMakeTheHeaderUnreadable() {
        assertThatThrownBy(() -> FromDomains.of(fromHeader("a@straße.de"))).isInstanceOf(MessagingException.class);
        assertThatThrownBy(() -> FromDomains.of(fromHeader("a@bÜcher.example"))).isInstanceOf(MessagingException.class);
    }
}
