package org.relayguard.server.queue;

import java.io.IOException;
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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

    static String write(Mail mail) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", mail.getName());
        mail.getMaybeSender().asOptional().ifPresent(sender -> root.put("sender", sender.asString()));
        ArrayNode recipients = root.putArray("recipients");
        mail.getRecipients().forEach(recipient -> recipients.add(recipient.asString()));
        root.put("state", mail.getState());
        root.put("errorMessage", mail.getErrorMessage());
        Optional.ofNullable(mail.getLastUpdated()).ifPresent(date -> root.put("lastUpdated", date.getTime()));
        root.put("remoteHost", mail.getRemoteHost());
        root.put("remoteAddr", mail.getRemoteAddr());
        ArrayNode headers = root.putArray("perRecipientHeaders");
        mail.getPerRecipientSpecificHeaders().getHeadersByRecipient().entries().forEach(entry -> headers.addObject()
            .put("recipient", entry.getKey().asString())
            .put("header", entry.getValue().asString()));
        ObjectNode attributes = root.putObject("attributes");
        mail.attributes().forEach(attribute -> {
            Optional<JsonNode> json = attribute.getValue().toJson();
            if (json.isPresent()) {
                attributes.set(attribute.getName().asString(), json.get());
            } else {
                LOGGER.warn("Mail attribute {} of mail {} cannot be queued: left out", attribute.getName().asString(), mail.getName());
            }
        });
        return root.toString();
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
