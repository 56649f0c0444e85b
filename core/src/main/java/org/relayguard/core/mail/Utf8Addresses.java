package org.relayguard.core.mail;

import java.util.Map;

import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

import com.google.common.collect.ImmutableMap;

/**
 * The UTF-8 forms of a mail's envelope addresses as its SMTPUTF8 client wrote them (attribute
 * {@link MailAttributes#SMTPUTF8_ADDRESSES}), looked up by the address as James holds it.
 */
public final class Utf8Addresses {
    private Utf8Addresses() {
    }

    /** From the address as James holds it ({@code MailAddress.asString()}) to the client's UTF-8 form; empty for a mail without any. */
    public static Map<String, String> of(Mail mail) {
        ImmutableMap.Builder<String, String> forms = ImmutableMap.builder();
        mail.getAttribute(MailAttributes.SMTPUTF8_ADDRESSES)
            .map(attribute -> attribute.getValue().getValue())
            .filter(Map.class::isInstance)
            .map(Map.class::cast)
            .ifPresent(map -> map.forEach((key, value) -> {
                Object utf8 = value instanceof AttributeValue ? ((AttributeValue<?>) value).getValue() : null;
                if (key instanceof String && utf8 instanceof String) {
                    forms.put((String) key, (String) utf8);
                }
            }));
        return forms.buildKeepingLast();
    }

    /** The envelope sender as the client wrote it, {@code <>} for the null sender. */
    public static String sender(Mail mail) {
        String sender = mail.getMaybeSender().asString("<>");
        return of(mail).getOrDefault(sender, sender);
    }
}
