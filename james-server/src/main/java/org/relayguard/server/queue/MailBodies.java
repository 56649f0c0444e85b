package org.relayguard.server.queue;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MailHeaders;
import org.apache.james.server.core.MimeMessageSource;
import org.apache.james.server.core.MimeMessageUtil;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;

/**
 * The message bodies of queued mail: one file each, under the queue store's {@code mails/}
 * directory. A body is written and forced to disk ({@code fsync}, file and directory) before the
 * queue entry that names it is written, so a mail acknowledged with {@code 250} survives a power
 * loss too. The queue entry (the journal) holds the envelope only.
 */
final class MailBodies {
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final Field RECEIVED_SOURCE = receivedSourceField();

    private final Path directory;

    MailBodies(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    void write(String id, Mail mail) throws IOException, MessagingException {
        Path file = file(id);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_SIZE)) {
            writeAsReceived(mail.getMessage(), channel, out);
            out.flush();
            channel.force(true);
        }
        syncDirectory();
    }

    /**
     * The message with its body byte for byte as received whenever no mailet changed the body:
     * a relay must not re-encode a body (a re-wrapped base64 body breaks its DKIM signature, a
     * malformed MIME body cannot be re-encoded at all), and copying the received bytes spares
     * parsing and decoding the message on every queue.
     */
    private static void writeAsReceived(MimeMessage message, FileChannel channel, OutputStream out) throws IOException, MessagingException {
        Optional<MimeMessageSource> received = receivedSource(message);
        if (received.isPresent()) {
            MimeMessageWrapper wrapper = (MimeMessageWrapper) message;
            if (!wrapper.isHeaderModified()) {
                try (InputStream in = received.get().getInputStream()) {
                    in.transferTo(out);
                }
                return;
            }
            writeHeaderLines(message, out);
            try (InputStream in = received.get().getInputStream()) {
                // James's own header reader skips the received headers, exactly as its getRawInputStream does.
                new MailHeaders(in);
                in.transferTo(out);
            }
            return;
        }
        try {
            MimeMessageUtil.writeTo(message, out, out);
        } catch (MessagingException | RuntimeException e) {
            // A Content-Type James's writer cannot parse: the header lines as they are, then the raw
            // body, unparsed, so that the mail is relayed as it came rather than parked.
            out.flush();
            channel.truncate(0);
            channel.position(0);
            writeHeaderLines(message, out);
            try (InputStream body = message.getRawInputStream()) {
                body.transferTo(out);
            }
        }
    }

    private static void writeHeaderLines(MimeMessage message, OutputStream out) throws IOException, MessagingException {
        Enumeration<String> lines = message.getAllHeaderLines();
        while (lines.hasMoreElements()) {
            out.write(asReceived(lines.nextElement() + "\r\n"));
        }
        out.write(CRLF);
    }

    /**
     * The bytes the message was read from, when they still hold its body: a James message
     * ({@link MimeMessageWrapper}) whose body no mailet has changed. James keeps that source in a
     * protected field only, read here once through reflection; without it every mail takes
     * James's writer.
     */
    private static Optional<MimeMessageSource> receivedSource(MimeMessage message) {
        if (RECEIVED_SOURCE == null || !(message instanceof MimeMessageWrapper) || ((MimeMessageWrapper) message).isBodyModified()) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable((MimeMessageSource) RECEIVED_SOURCE.get(message));
        } catch (IllegalAccessException e) {
            return Optional.empty();
        }
    }

    private static Field receivedSourceField() {
        try {
            Field field = MimeMessageWrapper.class.getDeclaredField("source");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The bytes of a header line as they came: javax.mail reads header bytes as ISO-8859-1 (one
     * char per byte, so 8-bit headers survive), or as UTF-8 when {@code mail.mime.allowutf8} is set.
     */
    private static byte[] asReceived(String line) {
        boolean oneBytePerChar = line.chars().allMatch(c -> c <= 0xFF);
        return line.getBytes(oneBytePerChar ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    private void syncDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the file itself is synced.
        }
    }

    boolean exists(String id) {
        return Files.isRegularFile(file(id));
    }

    void delete(String id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            // Left behind: an unused body costs disk space only.
        }
    }

    MimeMessageSource source(String id) {
        return new BodySource(id, file(id).toFile());
    }

    private Path file(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("Not a body id");
        }
        return directory.resolve(id + ".eml");
    }

    /** The stored body, read when James first reads the message. */
    private static final class BodySource implements MimeMessageSource {
        private final String id;
        private final File file;

        BodySource(String id, File file) {
            this.id = id;
            this.file = file;
        }

        @Override
        public String getSourceId() {
            return id;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            // James's header parsers read byte by byte.
            return new BufferedInputStream(new FileInputStream(file), BUFFER_SIZE);
        }

        @Override
        public long getMessageSize() {
            return file.length();
        }
    }
}
