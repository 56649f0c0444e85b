package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Optional;

import javax.net.ssl.SSLSession;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.MailAttributes;

class TlsSessionAttributeTest {
    private final TlsSessionAttribute hook = new TlsSessionAttribute();

    private static Optional<Object> tlsOf(FakeMail mail) {
        return mail.getAttribute(MailAttributes.TLS).map(attribute -> attribute.getValue().getValue());
    }

    @Test
    void onMessageShouldStoreTheNegotiatedProtocolOfAnEncryptedSession() throws Exception {
        SSLSession tls = mock(SSLSession.class);
        when(tls.getProtocol()).thenReturn("TLSv1.3");
        SMTPSession session = mock(SMTPSession.class);
        when(session.getSSLSession()).thenReturn(Optional.of(tls));
        FakeMail mail = FakeMail.builder().name("mail").build();

        assertThat(hook.onMessage(session, mail)).isEqualTo(HookResult.DECLINED);

        assertThat(tlsOf(mail)).contains("TLSv1.3");
    }

    @Test
    void onMessageShouldStoreNoneForASessionInClearText() throws Exception {
        SMTPSession session = mock(SMTPSession.class);
        when(session.getSSLSession()).thenReturn(Optional.empty());
        FakeMail mail = FakeMail.builder().name("mail").build();

        hook.onMessage(session, mail);

        assertThat(tlsOf(mail)).contains("none");
    }
}
