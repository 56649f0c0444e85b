package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;

import org.apache.james.protocols.api.BaseRequest;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;
import org.junit.jupiter.api.BeforeEach;
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

    private Response mail(String argument) {
        return size.onCommand(session, new BaseRequest("MAIL", argument));
    }

    @ParameterizedTest
    @ValueSource(strings = {"157286401", "2147483647", "2147483648", "9223372036854775808", "99999999999999999999999999999"})
    void aDeclaredSizeOverTheLimitShouldGet552HoweverLarge(String declared) {
        Response response = mail("FROM:<a@example.com> BODY=8BITMIME size=" + declared);

        assertThat(response.getRetCode()).isEqualTo("552");
        assertThat(response.getLines().get(0).toString()).contains("5.3.4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"FROM:<a@example.com> SIZE=157286400", "FROM:<a@example.com> SIZE=12k", "FROM:<a@example.com> SIZE=",
        "FROM:<a@example.com>", "FROM:<size=99999999999@example.com>", "FROM:<a@example.com> XSIZE=99999999999"})
    void anyOtherMailShouldBeLeftToJames(String argument) {
        assertThat(mail(argument)).isNull();
    }
}
