package org.relayguard.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import org.relayguard.tools.harness.SmtpClient;

/**
 * One file of the sisimai corpus as the corpus test sends it, and what the test reads from it to
 * predict the gateway's decision: the top-level header fields as they are on the wire, and the
 * envelope sender a relaying server would use.
 */
final class CorpusMessage {
    /** Every copy the test sends starts with this field, so that it can be found at the next hop and in the quarantine. */
    static final String ID_HEADER = "X-Relayguard-Corpus";

    // Only a plain address goes into MAIL FROM; James appends its default domain to one without '@'.
    private static final Pattern PLAIN_ADDRESS = Pattern.compile("[^\\s<>()\\[\\]\\\\,;:\"@]+(@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+)?");
    private static final Pattern ANGLE_ADDRESS = Pattern.compile("<([^<>]*)>");

    /** A header field: its name as written and its raw value (folded as on the wire, without the name and colon). */
    static final class Field {
        final String name;
        final String value;

        Field(String name, String value) {
            this.name = name;
            this.value = value;
        }
    }

    final String name;
    final byte[] raw;
    final List<Field> fields;

    private CorpusMessage(String name, byte[] raw) {
        this.name = name;
        this.raw = raw;
        this.fields = fields(new String(SmtpClient.dataLines(raw), StandardCharsets.ISO_8859_1));
    }

    static CorpusMessage read(Path maildir, Path file) throws IOException {
        return new CorpusMessage(maildir.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
    }

    /** The message as sent: the id field first, then the file's bytes (line ends are SmtpClient's business). */
    byte[] withId(String id) {
        byte[] field = (ID_HEADER + ": " + id + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] message = new byte[field.length + raw.length];
        System.arraycopy(field, 0, message, 0, field.length);
        System.arraycopy(raw, 0, message, field.length, raw.length);
        return message;
    }

    /**
     * Whether James 3.8.1 can queue this message for delivery. Its transport processor must run
     * {@code RemoveMimeHeader} on every mail (James refuses to start otherwise), which marks the
     * message modified even when it has no Bcc; RemoteDelivery's queue then re-encodes it with
     * JavaMail, which walks the whole MIME structure and throws on some malformed messages (a
     * multipart without its boundary, a broken parameter list). Asked here of the same JavaMail.
     */
    boolean isReencodableByJames() {
        try {
            MimeMessage message = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(SmtpClient.dataLines(withId("probe"))));
            message.removeHeader("bcc");
            message.saveChanges();
            return true;
        } catch (MessagingException e) {
            return false;
        }
    }

    /** Raw values of every top-level instance of a field, in order. */
    List<String> values(String fieldName) {
        List<String> values = new ArrayList<>();
        for (Field field : fields) {
            if (field.name.equalsIgnoreCase(fieldName)) {
                values.add(field.value);
            }
        }
        return values;
    }

    /**
     * The envelope sender a server relaying this message would give: the Return-Path's address (the
     * null sender for {@code <>}), else the From address; the null sender when neither holds a plain address.
     */
    String envelopeSender() {
        List<String> returnPath = values("Return-Path");
        if (!returnPath.isEmpty()) {
            return plainAddress(returnPath.get(0)).orElse("");
        }
        List<String> from = values("From");
        return from.isEmpty() ? "" : plainAddress(from.get(0)).orElse("");
    }

    /** The domain James sees for an envelope sender: its own default domain (contoso.com) when the address has none. */
    static Optional<String> senderDomain(String envelopeSender) {
        if (envelopeSender.isEmpty()) {
            return Optional.empty();
        }
        int at = envelopeSender.lastIndexOf('@');
        return Optional.of(at < 0 ? "contoso.com" : envelopeSender.substring(at + 1).toLowerCase(Locale.ROOT));
    }

    private static Optional<String> plainAddress(String value) {
        String unfolded = value.replaceAll("\r\n", "").trim();
        Matcher angle = ANGLE_ADDRESS.matcher(unfolded);
        String candidate = angle.find() ? angle.group(1).trim() : unfolded;
        return PLAIN_ADDRESS.matcher(candidate).matches() ? Optional.of(candidate) : Optional.empty();
    }

    /**
     * The header block up to the first empty line, read the way JavaMail reads it for James: a line
     * starting with a space or tab continues the field before it; the name ends at the first colon.
     */
    private static List<Field> fields(String wire) {
        List<Field> fields = new ArrayList<>();
        String name = null;
        StringBuilder value = null;
        for (String line : wire.split("\r\n", -1)) {
            if (line.isEmpty()) {
                break;
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && value != null) {
                value.append("\r\n").append(line);
                continue;
            }
            if (name != null) {
                fields.add(new Field(name, value.toString()));
            }
            int colon = line.indexOf(':');
            name = colon < 0 ? line.trim() : line.substring(0, colon).trim();
            value = new StringBuilder(colon < 0 ? "" : line.substring(colon + 1));
        }
        if (name != null) {
            fields.add(new Field(name, value.toString()));
        }
        return fields;
    }
}
