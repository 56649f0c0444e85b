package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;

import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeclaredSizeTest {
    private static final long LIMIT = 157286400;
    private final DeclaredSize size = new DeclaredSize();
    private final SMTPSession session = mock(SMTPSession.class);

    @BeforeEach
    void listenerWithTheShippedLimit() {
        SMTPConfiguration configuration = mock(SMTPConfiguration.class);
        when(configuration.getMaxMessageSize()).thenReturn(LIMIT);
        when(session.getConfiguration()).thenReturn(configuration);
        when(session.getRemoteAddress()).thenReturn(new InetSocketAddress("127.0.0.2", 40000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"157286401", "2147483647", "2147483648", "9223372036854775808", "99999999999999999999999999999"})
    void aDeclaredSizeOverTheLimitShouldGet552HoweverLarge(String declared) {
        HookResult result = size.doMailParameter(session, "SIZE", declared);

        assertThat(result.getSmtpRetCode()).isEqualTo("552");
        assertThat(result.getSmtpDescription()).startsWith("5.3.4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "+5", "12k", "1 000", "0x10"})
    void aSizeThatIsNotANumberShouldGet501(String declared) {
        HookResult result = size.doMailParameter(session, "SIZE", declared);

        assertThat(result.getSmtpRetCode()).isEqualTo("501");
        assertThat(result.getSmtpDescription()).startsWith("5.5.4");
        verify(session, never()).setAttachment(any(), any(), any());
    }

    @Test
    void aSizeWithinTheLimitShouldBeKeptForTheDiskCheck() {
        assertThat(size.doMailParameter(session, "SIZE", "157286400")).isEqualTo(HookResult.DECLINED);

        verify(session).setAttachment(DiskSpaceGuard.DECLARED_SIZE, 157286400, State.Transaction);
    }
}
