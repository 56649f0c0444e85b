package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RequireStartTlsTest {
    private final RequireStartTls hook = new RequireStartTls();
    private SMTPSession session;

    @BeforeEach
    void newSession() {
        session = mock(SMTPSession.class);
        when(session.getRemoteAddress()).thenReturn(new InetSocketAddress("127.0.0.2", 40000));
        when(session.isStartTLSSupported()).thenReturn(true);
    }

    @Test
    void doMailShouldAnswer530BeforeStartTls() throws Exception {
        when(session.isTLSStarted()).thenReturn(false);

        HookResult result = hook.doMail(session, MaybeSender.of(new MailAddress("a@contoso.com")));

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("530");
        assertThat(result.getSmtpDescription()).isEqualTo("5.7.0 Must issue a STARTTLS command first");
    }

    @Test
    void doMailShouldRefuseTheNullSenderBeforeStartTlsToo() {
        when(session.isTLSStarted()).thenReturn(false);

        assertThat(hook.doMail(session, MaybeSender.nullSender()).getSmtpRetCode()).isEqualTo("530");
    }

    @Test
    void doMailShouldRefuseOnAListenerWithoutStartTls() throws Exception {
        when(session.isStartTLSSupported()).thenReturn(false);
        when(session.isTLSStarted()).thenReturn(false);

        assertThat(hook.doMail(session, MaybeSender.of(new MailAddress("a@contoso.com"))).getSmtpRetCode()).isEqualTo("530");
    }

    @Test
    void doMailShouldDeclineAfterStartTlsSoThatTheOtherHooksDecide() throws Exception {
        when(session.isTLSStarted()).thenReturn(true);

        assertThat(hook.doMail(session, MaybeSender.of(new MailAddress("a@contoso.com")))).isEqualTo(HookResult.DECLINED);
    }
}
