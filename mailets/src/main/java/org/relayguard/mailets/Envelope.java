package org.relayguard.mailets;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.MailAttributes;

/**
 * The envelope parameters a mail goes on with, as the client gave them at intake: {@code SIZE},
 * {@code BODY=8BITMIME}, DSN's {@code RET} and {@code ENVID} on MAIL and {@code NOTIFY} and
 * {@code ORCPT} per recipient on RCPT. Each is written only when the next hop offers its
 * extension (RFC 1870, RFC 6152, RFC 3461: a client must not send a parameter the server did not
 * offer). ORCPT goes on exactly as the client wrote it (attribute {@code org.relayguard.dsn-orcpt}).
 */
final class Envelope {
    static final Envelope NONE = new Envelope(OptionalLong.empty(), false, Optional.empty(), Optional.empty(), Map.of());

    private static final String EIGHT_BIT_MIME = "8BITMIME";
    private static final String DSN = "DSN";
    private static final String SIZE = "SIZE";

    private final OptionalLong size;
    private final boolean eightBit;
    private final Optional<String> ret;
    private final Optional<String> envId;
    /** Recipient address in lower case to its RCPT parameters, each with a leading space. */
    private final Map<String, String> recipients;

    private Envelope(OptionalLong size, boolean eightBit, Optional<String> ret, Optional<String> envId, Map<String, String> recipients) {
        this.size = size;
        this.eightBit = eightBit;
        this.ret = ret;
        this.envId = envId;
        this.recipients = recipients;
    }

    /**
     * The envelope of this mail. Its body counts as 8-bit when the client said {@code BODY=8BITMIME}
     * or, if {@code lookForEightBit}, when any of its octets is above 127 (read only then: the caller
     * asks only when the hop takes 8-bit mail, since a mail converted to 7 bit must not claim it).
     */
    static Envelope of(Mail mail, boolean lookForEightBit) throws MessagingException {
        return of(mail, lookForEightBit, UnaryOperator.identity());
    }

    /**
     * As {@link #of(Mail, boolean)}, for recipients javax.mail writes in another form than James
     * holds them (the client's UTF-8 form on an SMTPUTF8 hop): each recipient's NOTIFY and ORCPT
     * are found by the address as written.
     */
    static Envelope of(Mail mail, boolean lookForEightBit, UnaryOperator<String> writtenForm) throws MessagingException {
        long messageSize = mail.getMessageSize();
        boolean eightBit = lookForEightBit && (declared8Bit(mail) || hasEightBitOctets(mail.getMessage()));
        Optional<DsnParameters> dsn = mail.dsnParameters();
        Map<String, String> recipients = new HashMap<>();
        Map<String, String> orcpts = rawOrcpts(mail);
        for (MailAddress recipient : mail.getRecipients()) {
            StringBuilder parameters = new StringBuilder();
            Optional<DsnParameters.RecipientDsnParameters> own = dsn.map(all -> all.getRcptParameters().get(recipient));
            own.flatMap(DsnParameters.RecipientDsnParameters::getNotifyParameter)
                .ifPresent(notify -> parameters.append(" NOTIFY=").append(notify(notify)));
            Optional<String> orcpt = Optional.ofNullable(orcpts.get(recipient.asString()))
                .or(() -> own.flatMap(DsnParameters.RecipientDsnParameters::getOrcptParameter)
                    .map(address -> DsnParameters.RFC_822_PREFIX + DsnParameters.XText.encode(address.asString())));
            orcpt.ifPresent(value -> parameters.append(" ORCPT=").append(value));
            if (parameters.length() > 0) {
                recipients.put(writtenForm.apply(recipient.asString()).toLowerCase(Locale.ROOT), parameters.toString());
            }
        }
        return new Envelope(messageSize > 0 ? OptionalLong.of(messageSize) : OptionalLong.empty(), eightBit,
            dsn.flatMap(DsnParameters::getRetParameter).map(Enum::name),
            dsn.flatMap(DsnParameters::getEnvIdParameter).map(DsnParameters.EnvId::asString),
            Map.copyOf(recipients));
    }

    /** What MAIL FROM gets appended on a hop that offers these extensions, with a leading space. */
    String mailParameters(Predicate<String> offers) {
        StringBuilder parameters = new StringBuilder();
        if (size.isPresent() && offers.test(SIZE)) {
            parameters.append(" SIZE=").append(size.getAsLong());
        }
        if (eightBit && offers.test(EIGHT_BIT_MIME)) {
            parameters.append(" BODY=8BITMIME");
        }
        if (offers.test(DSN)) {
            ret.ifPresent(value -> parameters.append(" RET=").append(value));
            envId.ifPresent(value -> parameters.append(" ENVID=").append(value));
        }
        return parameters.toString();
    }

    /** What RCPT TO for this address gets appended on a hop that offers DSN, with a leading space. */
    String rcptParameters(String address, Predicate<String> offers) {
        if (!offers.test(DSN)) {
            return "";
        }
        return recipients.getOrDefault(address.toLowerCase(Locale.ROOT), "");
    }

    /**
     * Of the recipients just delivered, those whose sender asked to hear of success
     * ({@code NOTIFY=SUCCESS}): a hop without DSN cannot tell them, so we owe them a "relayed"
     * notice (RFC 3461 6.2).
     */
    static List<MailAddress> askingForSuccess(Mail mail, Collection<InternetAddress> delivered) {
        return askingForSuccess(mail, delivered, UnaryOperator.identity());
    }

    /** As above, the delivered addresses as javax.mail wrote them (the client's UTF-8 forms on an SMTPUTF8 hop). */
    static List<MailAddress> askingForSuccess(Mail mail, Collection<InternetAddress> delivered, UnaryOperator<String> writtenForm) {
        Map<String, DsnParameters.RecipientDsnParameters> parameters = mail.dsnParameters()
            .map(dsn -> dsn.getRcptParameters().entrySet().stream()
                .collect(Collectors.toMap(entry -> entry.getKey().asString().toLowerCase(Locale.ROOT), Map.Entry::getValue, (a, b) -> b)))
            .orElse(Map.of());
        return mail.getRecipients().stream()
            .filter(recipient -> delivered.stream().anyMatch(address -> address.getAddress().equalsIgnoreCase(writtenForm.apply(recipient.asString()))))
            .filter(recipient -> Optional.ofNullable(parameters.get(recipient.asString().toLowerCase(Locale.ROOT)))
                .flatMap(DsnParameters.RecipientDsnParameters::getNotifyParameter)
                .map(notify -> notify.contains(DsnParameters.Notify.SUCCESS))
                .orElse(false))
            .collect(Collectors.toList());
    }

    private static String notify(EnumSet<DsnParameters.Notify> notify) {
        return notify.stream().map(Enum::name).collect(Collectors.joining(","));
    }

    private static boolean declared8Bit(Mail mail) {
        return mail.getAttribute(MailAttributes.BODY)
            .map(attribute -> EIGHT_BIT_MIME.equals(attribute.getValue().getValue()))
            .orElse(false);
    }

    private static Map<String, String> rawOrcpts(Mail mail) {
        Map<String, String> orcpts = new HashMap<>();
        mail.getAttribute(MailAttributes.DSN_ORCPT).ifPresent(attribute -> {
            Object value = attribute.getValue().getValue();
            if (value instanceof Map) {
                ((Map<?, ?>) value).forEach((recipient, orcpt) -> {
                    if (recipient instanceof String && orcpt instanceof AttributeValue && ((AttributeValue<?>) orcpt).getValue() instanceof String) {
                        orcpts.put((String) recipient, (String) ((AttributeValue<?>) orcpt).getValue());
                    }
                });
            }
        });
        return orcpts;
    }

    private static boolean hasEightBitOctets(MimeMessage message) throws MessagingException {
        EightBitDetector detector = new EightBitDetector();
        try {
            message.writeTo(detector);
        } catch (EightBitDetector.Found found) {
            return true;
        } catch (IOException e) {
            throw new MessagingException("cannot read the message", e);
        }
        return false;
    }

    /** Reads the message until its first octet above 127, and stops there. */
    private static final class EightBitDetector extends OutputStream {
        static final class Found extends IOException {
            private static final long serialVersionUID = 1L;

            Found() {
                super("an 8-bit octet", null);
            }
        }

        @Override
        public void write(int octet) throws IOException {
            if ((octet & 0x80) != 0) {
                throw new Found();
            }
        }

        @Override
        public void write(byte[] octets, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                if ((octets[i] & 0x80) != 0) {
                    throw new Found();
                }
            }
        }
    }
}
