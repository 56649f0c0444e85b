package org.relayguard.server.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.PerRecipientHeaders;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** A queue entry's envelope text: the JSON the queue has always written, read back to the same mail. */
class MailEnvelopeTest {
    private static MailImpl richMail() throws Exception {
        PerRecipientHeaders headers = new PerRecipientHeaders();
        headers.addHeaderForRecipient(PerRecipientHeaders.Header.builder().name("X-Tenant").value("contoso \"é\"").build(),
            new MailAddress("b@fabrikam.com"));
        headers.addHeaderForRecipient(PerRecipientHeaders.Header.builder().name("X-Other").value("1").build(),
            new MailAddress("b@fabrikam.com"));
        return MailImpl.builder().name("mail-1")
            .sender(new MailAddress("a@contoso.com"))
            .addRecipient(new MailAddress("b@fabrikam.com"))
            .addRecipient(new MailAddress("c@xn--mnchen-3ya.example"))
            .state("relay").errorMessage("550 \\ no\nline")
            .lastUpdated(new Date(1_796_000_000_123L))
            .remoteHost("mail.contoso.com").remoteAddr("203.0.113.5")
            .addAllHeadersForRecipients(headers)
            .addAttribute(new Attribute(AttributeName.of("org.relayguard.tls"), AttributeValue.of("TLSv1.3")))
            .addAttribute(new Attribute(AttributeName.of("count"), AttributeValue.of(42)))
            .addAttribute(new Attribute(AttributeName.of("big"), AttributeValue.of(1L << 40)))
            .addAttribute(new Attribute(AttributeName.of("flag"), AttributeValue.of(true)))
            .addAttribute(new Attribute(AttributeName.of("ratio"), AttributeValue.of(0.25d)))
            .addAttribute(new Attribute(AttributeName.of("list"), AttributeValue.of(List.of(AttributeValue.of("x"), AttributeValue.of(2)))))
            .addAttribute(new Attribute(AttributeName.of("map"), AttributeValue.of(Map.of("k", AttributeValue.of("v")))))
            .addAttribute(new Attribute(AttributeName.of("optional"), AttributeValue.of(Optional.of(AttributeValue.of("o")))))
            .build();
    }

    @Test
    void writeShouldGiveTheTextTheTreeGave() throws Exception {
        MailImpl rich = richMail();
        MailImpl bare = MailImpl.builder().name("bare").sender(MaybeSender.nullSender()).build();

        assertThat(MailEnvelope.write(rich)).isEqualTo(EnvelopeAsTree.write(rich));
        assertThat(MailEnvelope.write(bare)).isEqualTo(EnvelopeAsTree.write(bare));
    }

    @Test
    void readShouldGiveBackEveryFieldWritten() throws Exception {
        MailImpl mail = richMail();

        MailImpl read = MailEnvelope.read(MailEnvelope.write(mail));

        assertThat(read.getName()).isEqualTo("mail-1");
        assertThat(read.getMaybeSender()).isEqualTo(mail.getMaybeSender());
        assertThat(read.getRecipients()).containsExactlyElementsOf(mail.getRecipients());
        assertThat(read.getState()).isEqualTo("relay");
        assertThat(read.getErrorMessage()).isEqualTo("550 \\ no\nline");
        assertThat(read.getLastUpdated()).isEqualTo(mail.getLastUpdated());
        assertThat(read.getRemoteHost()).isEqualTo("mail.contoso.com");
        assertThat(read.getRemoteAddr()).isEqualTo("203.0.113.5");
        assertThat(read.getPerRecipientSpecificHeaders()).isEqualTo(mail.getPerRecipientSpecificHeaders());
        assertThat(read.attributes()).containsExactlyInAnyOrderElementsOf(mail.attributes()::iterator);
        JsonNode text = MailEnvelope.parse(MailEnvelope.write(mail));
        assertThat(text.path("attributes").size()).isEqualTo(8);
    }
}
