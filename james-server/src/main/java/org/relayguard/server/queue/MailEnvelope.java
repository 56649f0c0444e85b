package org.relayguard.server.queue;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Date;
import java.util.Map;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.PerRecipientHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;

/**
 * Everything of a {@link Mail} but its message, as the JSON text a queue entry carries: name,
 * envelope sender and recipients, state, error message, last update, remote host and address,
 * per-recipient headers, and the attributes that James can write as JSON (DSN parameters are
 * attributes too). An attribute James cannot write as JSON is left out, as James's own queues do.
 */
final class MailEnvelope {
    private static final Logger LOGGER = LoggerFactory.getLogger(MailEnvelope.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private MailEnvelope() {
    }

    /**
     * Written field by field to a stream generator: the same JSON as building the tree and calling
     * its {@code toString}, without the tree and without the serializer set-up Jackson's
     * {@code toString} does for every call (most of this method's time in the issue-32 profile).
     */
    static String write(Mail mail) {
        StringWriter text = new StringWriter(512);
        try (JsonGenerator json = JSON.getFactory().createGenerator(text)) {
            json.writeStartObject();
            json.writeStringField("name", mail.getName());
            Optional<MailAddress> sender = mail.getMaybeSender().asOptional();
            if (sender.isPresent()) {
                json.writeStringField("sender", sender.get().asString());
            }
            json.writeArrayFieldStart("recipients");
            for (MailAddress recipient : mail.getRecipients()) {
                json.writeString(recipient.asString());
            }
            json.writeEndArray();
            json.writeStringField("state", mail.getState());
            json.writeStringField("errorMessage", mail.getErrorMessage());
            if (mail.getLastUpdated() != null) {
                json.writeNumberField("lastUpdated", mail.getLastUpdated().getTime());
            }
            json.writeStringField("remoteHost", mail.getRemoteHost());
            json.writeStringField("remoteAddr", mail.getRemoteAddr());
            json.writeArrayFieldStart("perRecipientHeaders");
            PerRecipientHeaders perRecipient = mail.getPerRecipientSpecificHeaders();
            if (!perRecipient.getRecipientsWithSpecificHeaders().isEmpty()) {
                for (Map.Entry<MailAddress, PerRecipientHeaders.Header> entry : perRecipient.getHeadersByRecipient().entries()) {
                    json.writeStartObject();
                    json.writeStringField("recipient", entry.getKey().asString());
                    json.writeStringField("header", entry.getValue().asString());
                    json.writeEndObject();
                }
            }
            json.writeEndArray();
            json.writeObjectFieldStart("attributes");
            // One serializer context for all of the mail's attributes (writeTree makes one, and flushes, per value).
            SerializerProvider provider = JSON.getSerializerProviderInstance();
            for (Attribute attribute : (Iterable<Attribute>) mail.attributes()::iterator) {
                Optional<JsonNode> value = attribute.getValue().toJson();
                if (value.isPresent()) {
                    json.writeFieldName(attribute.getName().asString());
                    ((JsonSerializable) value.get()).serialize(json, provider);
                } else {
                    LOGGER.warn("Mail attribute {} of mail {} cannot be queued: left out", attribute.getName().asString(), mail.getName());
                }
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** The mail without its message: the queue sets it, read lazily from the stored body. */
    static MailImpl read(String text) throws MessagingException {
        JsonNode root = parse(text);
        MailImpl.Builder builder = MailImpl.builder().name(root.get("name").asText());
        builder.sender(root.hasNonNull("sender") ? MaybeSender.of(address(root.get("sender").asText())) : MaybeSender.nullSender());
        for (JsonNode recipient : root.path("recipients")) {
            builder.addRecipient(address(recipient.asText()));
        }
        text(root, "state").ifPresent(builder::state);
        text(root, "errorMessage").ifPresent(builder::errorMessage);
        if (root.hasNonNull("lastUpdated")) {
            builder.lastUpdated(new Date(root.get("lastUpdated").asLong()));
        }
        text(root, "remoteHost").ifPresent(builder::remoteHost);
        text(root, "remoteAddr").ifPresent(builder::remoteAddr);
        PerRecipientHeaders headers = new PerRecipientHeaders();
        for (JsonNode header : root.path("perRecipientHeaders")) {
            headers.addHeaderForRecipient(PerRecipientHeaders.Header.fromString(header.get("header").asText()),
                address(header.get("recipient").asText()));
        }
        builder.addAllHeadersForRecipients(headers);
        for (Map.Entry<String, JsonNode> attribute : (Iterable<Map.Entry<String, JsonNode>>) () -> root.path("attributes").fields()) {
            builder.addAttribute(new Attribute(AttributeName.of(attribute.getKey()), AttributeValue.fromJson(attribute.getValue())));
        }
        return builder.build();
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<String> text(JsonNode root, String field) {
        return root.hasNonNull(field) ? Optional.of(root.get(field).asText()) : Optional.empty();
    }

    private static MailAddress address(String text) throws AddressException {
        return new MailAddress(text);
    }
}
