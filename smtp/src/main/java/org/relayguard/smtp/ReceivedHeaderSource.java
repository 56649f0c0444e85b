package org.relayguard.smtp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;

import javax.mail.internet.MimeMessage;

import org.apache.james.lifecycle.api.Disposable;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.server.core.MimeMessageSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;

/**
 * Lets James read a received message's header without a lock per byte. James's
 * {@code SendMailHandler} (in {@code CoreCmdHandlerLoader}) reads every mail's {@code Message-ID}
 * on the Netty I/O thread before the {@code 250}, so James parses the whole header there; javax.mail
 * parses it byte by byte, and James 3.8.1 hands it the received bytes as a
 * {@link ByteArrayInputStream}, whose {@code read()} is synchronized: one lock per header byte, the
 * largest single item of the gateway's CPU profile. This hook gives the mail's message a source
 * that reads the same bytes through a buffer without locks; everything else is James's (the same
 * bytes, the same parser, the same disposal: disposing the message disposes James's source).
 *
 * <p>List it before {@code CoreCmdHandlerLoader}, whose {@code SendMailHandler} is the last message
 * hook. A message that is not James's {@link MimeMessageWrapper} over a received source, or a
 * James whose wrapper keeps its source elsewhere, is left as it is: James reads it as before.</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.ReceivedHeaderSource"/>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class ReceivedHeaderSource implements JamesMessageHook {
    private static final int BUFFER_SIZE = 8 * 1024;
    /** James's wrapper keeps its source in a protected field only; null when this James has none. */
    private static final Field SOURCE = sourceField();

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        install(mail);
        return HookResult.DECLINED;
    }

    /** True when the mail's message now reads its bytes through the unlocked source. */
    static boolean install(Mail mail) {
        try {
            MimeMessage message = mail.getMessage();
            if (SOURCE == null || !(message instanceof MimeMessageWrapper)) {
                return false;
            }
            MimeMessageWrapper wrapper = (MimeMessageWrapper) message;
            Object source = SOURCE.get(wrapper);
            if (!(source instanceof MimeMessageSource) || source instanceof Unlocked || wrapper.isModified()) {
                return false;
            }
            SOURCE.set(wrapper, new Unlocked((MimeMessageSource) source));
            return true;
        } catch (ReflectiveOperationException | javax.mail.MessagingException | RuntimeException e) {
            return false;
        }
    }

    private static Field sourceField() {
        try {
            Field field = MimeMessageWrapper.class.getDeclaredField("source");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** James's source, its in-memory bytes read through {@link UnlockedBuffer}. */
    static final class Unlocked implements MimeMessageSource, Disposable {
        private final MimeMessageSource received;

        Unlocked(MimeMessageSource received) {
            this.received = received;
        }

        @Override
        public String getSourceId() {
            return received.getSourceId();
        }

        @Override
        public InputStream getInputStream() throws IOException {
            InputStream in = received.getInputStream();
            return in instanceof ByteArrayInputStream ? new UnlockedBuffer(in) : in;
        }

        @Override
        public long getMessageSize() throws IOException {
            return received.getMessageSize();
        }

        @Override
        public void dispose() {
            LifecycleUtil.dispose(received);
        }
    }

    /**
     * A read buffer without locks: each refill is one bulk read of the stream below (one lock
     * there for a whole buffer), each byte then read from the buffer.
     */
    static final class UnlockedBuffer extends InputStream {
        private final InputStream in;
        private final byte[] buffer = new byte[BUFFER_SIZE];
        private int position;
        private int limit;

        UnlockedBuffer(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (position == limit && !fill()) {
                return -1;
            }
            return buffer[position++] & 0xFF;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (position == limit) {
                if (length >= buffer.length) {
                    return in.read(target, offset, length);
                }
                if (!fill()) {
                    return -1;
                }
            }
            int count = Math.min(length, limit - position);
            System.arraycopy(buffer, position, target, offset, count);
            position += count;
            return count;
        }

        @Override
        public int available() throws IOException {
            return limit - position + in.available();
        }

        /** What is buffered, then the rest straight from the stream below (the queue copies a message so). */
        @Override
        public long transferTo(OutputStream out) throws IOException {
            int buffered = limit - position;
            out.write(buffer, position, buffered);
            position = limit;
            return buffered + in.transferTo(out);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }

        private boolean fill() throws IOException {
            int count = in.read(buffer, 0, buffer.length);
            if (count <= 0) {
                return false;
            }
            position = 0;
            limit = count;
            return true;
        }
    }
}
