package org.relayguard.server.queue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.james.server.core.MimeMessageSource;
import org.apache.james.server.core.MimeMessageUtil;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;

/**
 * The messages of queued mail. A message of up to {@link #INLINE_LIMIT} bytes travels in its queue
 * entry, synced with it by the journal; a larger one is a file under the queue store's
 * {@code mails/} directory, written and forced to disk ({@code fsync}, file and directory) before
 * the entry that names it is written. Either way a mail acknowledged with {@code 250} survives a
 * power loss too. On a store shared with other nodes ({@link SharedQueueStore}) every message
 * travels in its entry, whatever its size: no file that only this node's disk holds.
 */
final class MailBodies {
    /** The queue entry property naming a body file; an entry without it holds its body. */
    private static final String BODY_FILE = "body";
    /**
     * The largest message kept in its queue entry (most mail is a few KB); larger ones are files.
     * Below the broker's large-message size, so an entry is always one journal record.
     */
    static final int INLINE_LIMIT = 64 * 1024;
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final Field RECEIVED_SOURCE = receivedSourceField();

    private final Path directory;
    private final boolean files;

    MailBodies(Path directory) throws IOException {
        this(directory, true);
    }

    /** {@code files} false: every message in its queue entry, none in {@code directory}. */
    MailBodies(Path directory, boolean files) throws IOException {
        this.directory = files ? Files.createDirectories(directory) : directory;
        this.files = files;
    }

    /**
     * Stores the mail's message: a small one (most mail) in the queue entry itself, where the
     * journal syncs it with the entry and with the other mails written at the same moment; a larger
     * one in a file of its own, fsynced with its directory, before the entry that names it is written.
     */
    Body store(Mail mail) throws IOException, MessagingException {
        long size = estimatedSize(mail.getMessage());
        boolean small = size >= 0 && size <= INLINE_LIMIT;
        if (!files || small) {
            // The received size is exact when the header is unchanged (most mail on the spool): the
            // buffer is then the body itself, not copied once more. A larger one (the database store
            // keeps every body in its entry) grows from the inline limit as it is written.
            InlineBuffer out = new InlineBuffer(small && headerUnchanged(mail.getMessage()) ? (int) size
                : (int) Math.max(0, Math.min(size, INLINE_LIMIT)) + 1024);
            writeAsReceived(mail.getMessage(), out, out::reset);
            if (!files || out.size() <= INLINE_LIMIT) {
                return new InlineBody(out.bytes());
            }
        }
        String id = UUID.randomUUID().toString();
        try {
            write(id, mail);
        } catch (IOException | MessagingException | RuntimeException e) {
            delete(id);
            throw e;
        }
        return new FileBody(id);
    }

    /**
     * The body a mail handed out by the queue was read from, when it is a file and the mail's
     * message is still exactly those bytes (headers and body untouched): a retry then names the
     * same file rather than writing the message again. On a full disk that write is what fails,
     * and a failed retry left the mail due at once: a loop of failed writes and log lines.
     */
    Optional<Body> unchanged(Mail mail, Body readFrom) throws MessagingException {
        if (!(readFrom instanceof FileBody) || !(mail.getMessage() instanceof MimeMessageWrapper)) {
            return Optional.empty();
        }
        MimeMessageWrapper wrapper = (MimeMessageWrapper) mail.getMessage();
        Optional<MimeMessageSource> received = receivedSource(wrapper);
        boolean same = !wrapper.isHeaderModified() && received.isPresent()
            && received.get() instanceof BodySource && ((BodySource) received.get()).id.equals(((FileBody) readFrom).id);
        return same ? Optional.of(readFrom) : Optional.empty();
    }

    private static boolean headerUnchanged(MimeMessage message) {
        return message instanceof MimeMessageWrapper && !((MimeMessageWrapper) message).isHeaderModified();
    }

    /** A message's bytes, handed over without a copy when the estimated size was the exact one. */
    private static final class InlineBuffer extends ByteArrayOutputStream {
        InlineBuffer(int size) {
            super(size);
        }

        byte[] bytes() {
            return count == buf.length ? buf : toByteArray();
        }
    }

    /**
     * About the stored size: the received bytes' size when the body is unchanged (a header change
     * adds little, and the exact size would cost James another parse of the headers), else James's.
     */
    private static long estimatedSize(MimeMessage message) throws IOException, MessagingException {
        Optional<MimeMessageSource> received = receivedSource(message);
        if (received.isPresent()) {
            return received.get().getMessageSize();
        }
        return message instanceof MimeMessageWrapper ? ((MimeMessageWrapper) message).getMessageSize() : message.getSize();
    }

    /** The body a queue entry holds or names. */
    Body of(Message message) {
        Optional<Body> file = file(message);
        if (file.isPresent()) {
            return file.get();
        }
        ActiveMQBuffer buffer = message.toCore().getReadOnlyBodyBuffer();
        byte[] bytes = new byte[buffer.readableBytes()];
        buffer.readBytes(bytes);
        return new InlineBody(bytes);
    }

    /**
     * The file a queue entry names, if its body is not in the entry itself: what must be deleted
     * once the entry is gone (without copying the bodies that go with their entries).
     */
    Optional<Body> file(Message message) {
        return Optional.ofNullable(message.getStringProperty(BODY_FILE)).<Body>map(FileBody::new);
    }

    void write(String id, Mail mail) throws IOException, MessagingException {
        Path file = file(id);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_SIZE)) {
            writeAsReceived(mail.getMessage(), out, () -> {
                out.flush();
                channel.truncate(0);
                channel.position(0);
            });
            out.flush();
            channel.force(true);
        }
        syncDirectory();
    }

    /** Starts the output again from nothing, when James's writer failed half way. */
    @FunctionalInterface
    private interface Restart {
        void restart() throws IOException;
    }

    /**
     * The message with its body byte for byte as received whenever no mailet changed the body:
     * a relay must not re-encode a body (a re-wrapped base64 body breaks its DKIM signature, a
     * malformed MIME body cannot be re-encoded at all), and copying the received bytes spares
     * parsing and decoding the message on every queue.
     */
    private static void writeAsReceived(MimeMessage message, OutputStream out, Restart restart) throws IOException, MessagingException {
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
                // Past the received header, where javax.mail's parser would stop (without parsing it again).
                HeaderEnd.skip(in);
                in.transferTo(out);
            }
            return;
        }
        try {
            MimeMessageUtil.writeTo(message, out, out);
        } catch (MessagingException | RuntimeException e) {
            // A Content-Type James's writer cannot parse: the header lines as they are, then the raw
            // body, unparsed, so that the mail is relayed as it came rather than parked.
            restart.restart();
            writeHeaderLines(message, out);
            try (InputStream body = message.getRawInputStream()) {
                body.transferTo(out);
            }
        }
    }

    private static void writeHeaderLines(MimeMessage message, OutputStream out) throws IOException, MessagingException {
        HeaderLines.write(message.getAllHeaderLines(), out);
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

    /** Where a queued mail's message is: in its queue entry, or in a file the entry names. */
    abstract static class Body {
        /** Puts the body (or its file's name) into a queue entry. */
        abstract void putInto(ClientMessage message);

        abstract MimeMessageSource source();

        /** False only for a file removed since: the mail went on (see the queue's dequeue). */
        abstract boolean exists();

        /** Removes the body's file, if it has one: the entry's own body goes with the entry. */
        abstract void delete();

        abstract boolean isSameAs(Body other);
    }

    private static final class InlineBody extends Body {
        private final byte[] bytes;

        InlineBody(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        void putInto(ClientMessage message) {
            message.getBodyBuffer().writeBytes(bytes);
        }

        @Override
        MimeMessageSource source() {
            return new InlineSource(bytes);
        }

        @Override
        boolean exists() {
            return true;
        }

        @Override
        void delete() {
        }

        @Override
        boolean isSameAs(Body other) {
            return other == this;
        }
    }

    private final class FileBody extends Body {
        private final String id;

        FileBody(String id) {
            this.id = id;
        }

        @Override
        void putInto(ClientMessage message) {
            message.putStringProperty(BODY_FILE, id);
        }

        @Override
        MimeMessageSource source() {
            return new BodySource(id, file(id).toFile());
        }

        @Override
        boolean exists() {
            return MailBodies.this.exists(id);
        }

        @Override
        void delete() {
            MailBodies.this.delete(id);
        }

        @Override
        boolean isSameAs(Body other) {
            return other instanceof FileBody && ((FileBody) other).id.equals(id);
        }
    }

    /** A body held in memory, taken from its queue entry. */
    private static final class InlineSource implements MimeMessageSource {
        private final String id = "queued-" + UUID.randomUUID();
        private final byte[] bytes;

        InlineSource(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public String getSourceId() {
            return id;
        }

        @Override
        public InputStream getInputStream() {
            return new UnsynchronizedByteArrayInputStream(bytes);
        }

        @Override
        public long getMessageSize() {
            return bytes.length;
        }
    }

    /** James's header parsers read byte by byte: {@link java.io.ByteArrayInputStream} locks on each read. */
    static final class UnsynchronizedByteArrayInputStream extends InputStream {
        private final byte[] bytes;
        private int position;
        private int mark;

        UnsynchronizedByteArrayInputStream(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= bytes.length) {
                return -1;
            }
            int count = Math.min(length, bytes.length - position);
            System.arraycopy(bytes, position, target, offset, count);
            position += count;
            return count;
        }

        @Override
        public long skip(long count) {
            long skipped = Math.max(0, Math.min(count, bytes.length - position));
            position += (int) skipped;
            return skipped;
        }

        @Override
        public int available() {
            return bytes.length - position;
        }

        /** The rest in one write, without the copy buffer of {@link InputStream#transferTo}. */
        @Override
        public long transferTo(OutputStream out) throws IOException {
            int count = bytes.length - position;
            out.write(bytes, position, count);
            position = bytes.length;
            return count;
        }

        /** The header's end is found by looking one line ending ahead ({@link HeaderEnd}). */
        @Override
        public boolean markSupported() {
            return true;
        }

        @Override
        public void mark(int readLimit) {
            mark = position;
        }

        @Override
        public void reset() {
            position = mark;
        }
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
