package org.relayguard.server.queue;

import java.util.Optional;

import org.apache.mailet.Mail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A queue entry's envelope written as the queue wrote it until issue 32: a Jackson tree, then its
 * {@code toString}. The reference {@link MailEnvelope#write} must match (MailEnvelopeTest) and the
 * old path of {@link QueueSerializationBenchmark}.
 */
final class EnvelopeAsTree {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EnvelopeAsTree() {
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
        mail.attributes().forEach(attribute -> attribute.getValue().toJson()
            .ifPresent(json -> attributes.set(attribute.getName().asString(), json)));
        return root.toString();
    }
}
