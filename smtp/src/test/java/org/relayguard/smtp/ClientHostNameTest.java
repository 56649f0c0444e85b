package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.MaybeSender;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.ProxyInformation;
import org.apache.james.protocols.smtp.SMTPConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.SMTPSessionImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

class ClientHostNameTest {
    private static final String CLIENT = "192.0.2.7";
    private static final String NAME = "mail-x.outbound.protection.outlook.com";

    private final RecordingMetricFactory metrics = new RecordingMetricFactory();
    private final CountDownLatch answer = new CountDownLatch(1);
    private final ProtocolTransport transport = mock(ProtocolTransport.class);
    private ClientHostName handler;

    @AfterEach
    void tearDown() {
        answer.countDown();
        if (handler != null) {
            handler.destroy();
        }
    }

    private ClientHostName handler(UnaryOperator<String> resolver, String lookupTimeout) throws Exception {
        handler = new ClientHostName(metrics, resolver);
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty(ClientHostName.LOOKUP_TIMEOUT, lookupTimeout);
        handler.init(config);
        return handler;
    }

    private String stalled(String literal) {
        try {
            answer.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return NAME;
    }

    private SMTPSession session() throws Exception {
        when(transport.getRemoteAddress()).thenReturn(new InetSocketAddress(InetAddress.getByName(CLIENT), 40000));
        when(transport.getLocalAddress()).thenReturn(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 25));
        return new SMTPSessionImpl(transport, mock(SMTPConfiguration.class));
    }

    /** What James's own getHostName() calls would find, without looking anything up: null if nothing was installed. */
    private static String installedName(SMTPSession session) {
        String address = session.getRemoteAddress().getAddress().toString();
        return address.startsWith("/") ? null : address.substring(0, address.indexOf('/'));
    }

    @Test
    void heloShouldGiveTheSessionTheClientsHostName() throws Exception {
        SMTPSession session = session();
        handler(literal -> NAME, "5").doHelo(session, "client.example");

        awaitInstalledName(session);
        assertThat(installedName(session)).isEqualTo(NAME);
        assertThat(readingLeftPaused(transport)).isFalse();
        assertThat(session.getRemoteAddress().getAddress().getHostAddress()).isEqualTo(CLIENT);
        assertThat(session.getRemoteAddress().getPort()).isEqualTo(40000);
    }

    /**
     * A lookup that answers at once may be done before the handler looks (then it installs the name
     * without pausing the client) or just after (then it pauses and resumes): wait for the name, not
     * for one of the two paths.
     */
    private static void awaitInstalledName(SMTPSession session) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (installedName(session) == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** Whether the handler paused reading the client more often than it resumed it. */
    private static boolean readingLeftPaused(ProtocolTransport transport) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (readableCalls(transport, false) == readableCalls(transport, true)) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private static long readableCalls(ProtocolTransport transport, boolean readable) {
        return Mockito.mockingDetails(transport).getInvocations().stream()
            .filter(invocation -> invocation.getMethod().getName().equals("setReadable"))
            .filter(invocation -> invocation.getArgument(0).equals(readable))
            .count();
    }

    @Test
    void aNameInTheCacheShouldBeInstalledAtHeloWithoutPausingTheClient() throws Exception {
        ClientHostName clientHostName = handler(literal -> NAME, "5");
        SMTPSession first = session();
        clientHostName.doHelo(first, "client.example");
        awaitInstalledName(first);

        ProtocolTransport secondTransport = mock(ProtocolTransport.class);
        when(secondTransport.getRemoteAddress()).thenReturn(new InetSocketAddress(InetAddress.getByName(CLIENT), 40001));
        when(secondTransport.getLocalAddress()).thenReturn(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 25));
        SMTPSession second = new SMTPSessionImpl(secondTransport, mock(SMTPConfiguration.class));
        clientHostName.doHelo(second, "client.example");

        assertThat(installedName(second)).isEqualTo(NAME);
        verify(secondTransport, never()).setReadable(false);
    }

    @Test
    void heloShouldStopReadingTheClientUntilTheNameCame() throws Exception {
        SMTPSession session = session();
        handler(this::stalled, "5").doHelo(session, "client.example");

        verify(transport).setReadable(false);
        verify(transport, never()).setReadable(true);
        answer.countDown();
        verify(transport, timeout(5000)).setReadable(true);
        assertThat(installedName(session)).isEqualTo(NAME);
    }

    @Test
    void aLookupPastTheTimeoutShouldLeaveTheIpLiteralAndBeCounted() throws Exception {
        SMTPSession session = session();
        handler(this::stalled, "1").doHelo(session, "client.example");

        verify(transport, timeout(5000)).setReadable(true);
        assertThat(installedName(session)).isEqualTo(CLIENT);
        assertThat(session.getRemoteAddress().getHostName()).isEqualTo(CLIENT);
        assertThat(metrics.countFor(ClientHostName.TIMED_OUT_METRIC)).isEqualTo(1);
    }

    @Test
    void mailBeforeTheNameCameShouldGetTheIpLiteralWithoutWaiting() throws Exception {
        SMTPSession session = session();
        ClientHostName clientHostName = handler(this::stalled, "5");
        clientHostName.doHelo(session, "client.example");

        clientHostName.doMail(session, MaybeSender.nullSender());

        assertThat(installedName(session)).isEqualTo(CLIENT);
        answer.countDown();
        verify(transport, timeout(5000)).setReadable(true);
        assertThat(installedName(session)).as("the name that came too late changes nothing").isEqualTo(CLIENT);
    }

    @Test
    void mailWithoutHeloShouldGetTheIpLiteral() throws Exception {
        SMTPSession session = session();

        handler(literal -> NAME, "5").doMail(session, MaybeSender.nullSender());

        assertThat(installedName(session)).isEqualTo(CLIENT);
    }

    @Test
    void behindAProxyTheLookupShouldBeTheProxiedClientsAndKeepItsDestination() throws Exception {
        SMTPSession session = session();
        when(transport.isProxyRequired()).thenReturn(true);
        InetSocketAddress destination = new InetSocketAddress(InetAddress.getByName("198.51.100.25"), 25);
        session.setProxyInformation(new ProxyInformation(new InetSocketAddress(InetAddress.getByName("40.107.1.2"), 50000), destination));

        handler(literal -> "40.107.1.2".equals(literal) ? NAME : "wrong.example", "5").doHelo(session, "client.example");

        awaitInstalledName(session);
        assertThat(installedName(session)).isEqualTo(NAME);
        assertThat(readingLeftPaused(transport)).isFalse();
        assertThat(session.getRemoteAddress().getAddress().getHostAddress()).isEqualTo("40.107.1.2");
        assertThat(session.getProxyInformation().get().getDestination()).isEqualTo(destination);
    }

    @Test
    void initShouldRejectATimeoutOfZero() {
        assertThatThrownBy(() -> handler(literal -> NAME, "0"))
            .hasMessage("ClientHostName: parameter 'lookupTimeout' must be a number above 0, got '0'");
    }
}
