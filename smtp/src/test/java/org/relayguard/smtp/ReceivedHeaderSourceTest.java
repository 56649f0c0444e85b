package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.james.lifecycle.api.Disposable;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.junit.jupiter.api.Test;

class ReceivedHeaderSourceTest {
    private static final byte[] MESSAGE = ("Received: from a.example\r\n\tby b.example; Tue, 8 Dec 2026 02:00:00 +0000\r\n"
        + "Message-ID: <id-1@contoso.com>\r\n"
        + "Subject: caf\u00e9 \u2603\r\n"
        + "From: a@contoso.com\r\n"
        + "\r\n"
        + "body line\r\n.. dot\r\n").getBytes(StandardCharsets.UTF_8);

    /** James's in-memory source as James 3.8.1 hands it out: a ByteArrayInputStream, counting its single-byte reads. */
    private static final class CountingSource implements MimeMessageSource, Disposable {
        final AtomicInteger singleByteReads = new AtomicInteger();
        final AtomicBoolean disposed = new AtomicBoolean();

        @Override
        public String getSourceId() {
            return "received";
        }

        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(MESSAGE) {
                @Override
                public synchronized int read() {
                    singleByteReads.incrementAndGet();
                    return super.read();
                }
            };
        }

        @Override
        public long getMessageSize() {
            return MESSAGE.length;
        }

        @Override
        public void dispose() {
            disposed.set(true);
        }
    }

    private static MailImpl mail(MimeMessageSource source) throws Exception {
        MailImpl mail = MailImpl.builder().name("mail").build();
        mail.setMessageNoCopy(new MimeMessageWrapper(source));
        return mail;
    }

    private static byte[] written(MailImpl mail) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        mail.getMessage().writeTo(out);
        return out.toByteArray();
    }

    @Test
    void sendMailHandlersMessageIdReadShouldNotReadTheHeaderByteByByteFromTheLockedStream() throws Exception {
        CountingSource before = new CountingSource();
        mail(before).getMessage().getMessageID();
        CountingSource after = new CountingSource();
        MailImpl mail = mail(after);

        assertThat(new ReceivedHeaderSource().onMessage(mock(SMTPSession.class), mail)).isEqualTo(HookResult.DECLINED);
        String messageId = mail.getMessage().getMessageID();

        assertThat(messageId).isEqualTo("<id-1@contoso.com>");
        assertThat(before.singleByteReads.get()).isGreaterThan(100);
        assertThat(after.singleByteReads.get()).isZero();
    }

    @Test
    void theMessageShouldReadAsJamesReadsItWithoutTheHook() throws Exception {
        MailImpl plain = mail(MimeMessageInputStreamSource.create("plain", new ByteArrayInputStream(MESSAGE)));
        MailImpl unlocked = mail(MimeMessageInputStreamSource.create("unlocked", new ByteArrayInputStream(MESSAGE)));

        assertThat(ReceivedHeaderSource.install(unlocked)).isTrue();

        List<String> plainLines = Collections.list(plain.getMessage().getAllHeaderLines());
        assertThat(Collections.list(unlocked.getMessage().getAllHeaderLines())).containsExactlyElementsOf(plainLines);
        assertThat(unlocked.getMessage().getSubject()).isEqualTo(plain.getMessage().getSubject());
        assertThat(unlocked.getMessageSize()).isEqualTo(plain.getMessageSize());
        assertThat(written(unlocked)).isEqualTo(written(plain));
        plain.dispose();
        unlocked.dispose();
    }

    @Test
    void disposingTheMailShouldDisposeJamesSourceAndInstallingTwiceShouldWrapOnce() throws Exception {
        CountingSource source = new CountingSource();
        MailImpl mail = mail(source);

        assertThat(ReceivedHeaderSource.install(mail)).isTrue();
        assertThat(ReceivedHeaderSource.install(mail)).isFalse();
        mail.dispose();

        assertThat(source.disposed).isTrue();
    }

    @Test
    void aMessageAMailetAlreadyChangedShouldBeLeftToJames() throws Exception {
        MailImpl mail = mail(new CountingSource());
        mail.getMessage().setHeader("X-Changed", "yes");

        assertThat(ReceivedHeaderSource.install(mail)).isFalse();
    }

    @Test
    void theBufferShouldReadEveryByteInOrderWhateverTheReadSizes() throws Exception {
        byte[] bytes = new byte[20_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new ReceivedHeaderSource.UnlockedBuffer(new ByteArrayInputStream(bytes))) {
            for (int i = 0; i < 100; i++) {
                out.write(in.read());
            }
            byte[] chunk = new byte[3000];
            int count = in.read(chunk, 0, chunk.length);
            out.write(chunk, 0, count);
            assertThat(in.read()).isEqualTo(bytes[3100] & 0xFF);
            out.write(bytes[3100]);
            assertThat(in.transferTo(out)).isEqualTo(bytes.length - 3101);
            assertThat(in.read()).isEqualTo(-1);
        }
        assertThat(out.toByteArray()).isEqualTo(bytes);
    }
}
