package org.relayguard.tools.postfix;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One mail in a Postfix queue as {@code postcat} shows it: the envelope Postfix recorded (sender,
 * each recipient with its DSN NOTIFY and ORCPT, the DSN ENVID and RET, the SMTPUTF8 request) and the
 * message. Everything here is what Postfix's smtpd took from the client that handed the mail over.
 */
public final class QueuedMail {
    /** RFC 3461 NOTIFY as Postfix records it ({@code notify_flags}, DSN_NOTIFY_* of dsn_mask.h). */
    public enum Notify {
        NEVER(1), SUCCESS(2), FAILURE(4), DELAY(8);

        final int flag;

        Notify(int flag) {
            this.flag = flag;
        }
    }

    /** One recipient: its address, the NOTIFY it came with (empty: none given) and its ORCPT. */
    public static final class Recipient {
        public final String address;
        public final List<Notify> notify;
        public final Optional<String> orcpt;

        Recipient(String address, List<Notify> notify, Optional<String> orcpt) {
            this.address = address;
            this.notify = notify;
            this.orcpt = orcpt;
        }

        @Override
        public String toString() {
            return address + " NOTIFY=" + notify + orcpt.map(value -> " ORCPT=" + value).orElse("");
        }
    }

    public final String queueId;
    public final String queueName;
    public final String sender;
    public final List<Recipient> recipients;
    /** ENVID from MAIL, empty when none was given. */
    public final Optional<String> envelopeId;
    /** RET from MAIL ({@code FULL} or {@code HDRS}), empty when none was given. */
    public final Optional<String> ret;
    /** Whether the client asked for SMTPUTF8 on MAIL (the sendopts field of Postfix's size record). */
    public final boolean smtputf8;
    /** The message as Postfix stored it (its own Received: first), lines ended by LF. */
    public final byte[] message;

    private QueuedMail(String queueId, String queueName, String sender, List<Recipient> recipients, Optional<String> envelopeId,
                       Optional<String> ret, boolean smtputf8, byte[] message) {
        this.queueId = queueId;
        this.queueName = queueName;
        this.sender = sender;
        this.recipients = Collections.unmodifiableList(recipients);
        this.envelopeId = envelopeId;
        this.ret = ret;
        this.smtputf8 = smtputf8;
        this.message = message;
    }

    /** The message as text (UTF-8). */
    public String text() {
        return new String(message, StandardCharsets.UTF_8);
    }

    public List<String> recipientAddresses() {
        List<String> addresses = new ArrayList<>();
        recipients.forEach(recipient -> addresses.add(recipient.address));
        return addresses;
    }

    public Recipient recipient(String address) {
        return recipients.stream().filter(recipient -> recipient.address.equals(address)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no recipient " + address + " in " + this));
    }

    /**
     * Reads {@code postcat -e} output: each recipient's {@code notify_flags} and
     * {@code dsn_orig_rcpt} come before its {@code recipient} record.
     */
    static QueuedMail parse(String queueId, String queueName, String envelope, byte[] message) {
        String sender = null;
        Optional<String> envelopeId = Optional.empty();
        Optional<String> ret = Optional.empty();
        boolean smtputf8 = false;
        List<Recipient> recipients = new ArrayList<>();
        Map<String, String> pending = new LinkedHashMap<>();
        for (String line : envelope.split("\n")) {
            int colon = line.indexOf(": ");
            String type = colon < 0 ? line.trim().replace(":", "") : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 2).trim();
            switch (type) {
                case "message_size":
                    String[] fields = value.split("\\s+");
                    smtputf8 = fields.length > 5 && (Integer.parseInt(fields[5]) & 1) != 0;
                    break;
                case "sender":
                    sender = value;
                    break;
                case "named_attribute":
                    int equals = value.indexOf('=');
                    String name = value.substring(0, equals);
                    String attribute = value.substring(equals + 1);
                    if (name.equals("envelope_id")) {
                        envelopeId = Optional.of(attribute);
                    } else if (name.equals("ret_flags")) {
                        ret = Optional.of(attribute.equals("1") ? "FULL" : attribute.equals("2") ? "HDRS" : attribute);
                    } else {
                        pending.put(name, attribute);
                    }
                    break;
                case "recipient":
                    recipients.add(new Recipient(value, notify(pending.get("notify_flags")), Optional.ofNullable(pending.get("dsn_orig_rcpt"))));
                    pending.clear();
                    break;
                default:
                    break;
            }
        }
        if (sender == null) {
            throw new IllegalStateException("no sender record in postcat's output for " + queueId + ":\n" + envelope);
        }
        return new QueuedMail(queueId, queueName, sender, recipients, envelopeId, ret, smtputf8, message);
    }

    private static List<Notify> notify(String flags) {
        List<Notify> notify = new ArrayList<>();
        if (flags != null) {
            int mask = Integer.parseInt(flags);
            for (Notify value : Notify.values()) {
                if ((mask & value.flag) != 0) {
                    notify.add(value);
                }
            }
        }
        return Collections.unmodifiableList(notify);
    }

    @Override
    public String toString() {
        return queueName + "/" + queueId + " from <" + sender + "> to " + recipients + envelopeId.map(id -> " ENVID=" + id).orElse("")
            + ret.map(value -> " RET=" + value).orElse("") + (smtputf8 ? " SMTPUTF8" : "");
    }
}
