package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.LocalDnsServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.process.Pause;

/**
 * Clients whose reverse lookup never ends (issue 28): the gateway's resolver is a DNS server that
 * never answers ({@link LocalDnsServer#silent}), the JVM pointed at it by a resolv.conf of its own
 * ({@link JamesServer.Builder#resolvConf}: the JDK's resolver and James's dnsjava both read it),
 * the tests' hosts file as its /etc/hosts. 1,000 connections come from {@code 127.0.0.5}, which only that
 * server could name; the shipped per-address limit lets 20 in. Meanwhile another client
 * ({@code 127.0.0.1}, named by that hosts file, so its own lookup is quick) must get its
 * mail accepted and delivered within {@value #FACTOR} times an idle gateway's time (or
 * {@value #FLOOR_MILLIS} ms on a loaded machine; a single stalled lookup costs glibc's 10 s). Before
 * the fix, James looked every connection's name up on its I/O threads: the other client waited
 * minutes for its greeting.
 *
 * <p>Root only (port 53 and a mount namespace), skipped otherwise, as the Postfix tests.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlowReverseDnsTest {
    static final int CONNECTIONS = 1000;
    static final int PER_ADDRESS = 20;
    static final int FACTOR = 3;
    static final long FLOOR_MILLIS = 2000;
    static final int LOOKUP_TIMEOUT_SECONDS = 2;
    static final String STALLED_SOURCE = "127.0.0.5";
    static final String OTHER_STALLED_SOURCE = "127.0.0.6";
    static final String OTHER_SOURCE = "127.0.0.1";
    /** Another network than the rest: 64 addresses whose lookups stall, more than the pool's 32 threads. */
    static final String STALLED_NETWORK = "127.0.1.";
    static final int STALLED_ADDRESSES = 64;

    private LocalDnsServer dns;
    private Path resolvConf;
    private NextHops hops;
    private JamesServer james;
    private final AtomicInteger ids = new AtomicInteger();

    @BeforeAll
    void startGateway() throws Exception {
        assumeTrue(LocalDnsServer.canRun(), "needs root: a DNS server on port 53 and a mount namespace for James");
        dns = LocalDnsServer.silent();
        resolvConf = dns.resolvConf(Files.createTempFile("relayguard-resolv-", ".conf"));
        hops = NextHops.start();
        james = JamesServer.builder().nextHops(hops)
            // The namespace's /etc/hosts names 127.0.0.1 localhost and 127.0.0.2 an Exchange Online host.
            .demoHostNames(true)
            .resolvConf(resolvConf)
            .env("RELAYGUARD_SMTP_LOOKUP_TIMEOUT", String.valueOf(LOOKUP_TIMEOUT_SECONDS))
            .start();
    }

    @AfterAll
    void stopGateway() throws IOException {
        if (james != null) {
            james.close();
        }
        if (hops != null) {
            hops.close();
        }
        if (dns != null) {
            dns.close();
            Files.deleteIfExists(resolvConf);
        }
    }

    @Test
    void anotherClientsMailKeepsItsPaceWhileAThousandConnectionsComeFromAnAddressWhoseLookupNeverEnds() throws Exception {
        deliveryMillis(); // warm-up: the first mail of a fresh JVM is slow
        long idleMillis = median(deliveryMillis(), deliveryMillis(), deliveryMillis());
        assertThat(james.logText()).as("James's dnsjava asks the silent server too")
            .contains("Adding autodiscovered server /" + LocalDnsServer.DEFAULT_ADDRESS + ":53");

        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket socket;
                try {
                    socket = connect(STALLED_SOURCE);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("The gateway took no connection within 10 s after " + i + " of " + CONNECTIONS + ": it is stuck", e);
                }
                stalled.add(socket);
                // Said at once, unread: those let in start their lookup with it.
                RawSmtp.send(socket, "EHLO stalled.example");
            }

            long loadedMillis = deliveryMillis();
            long limit = Math.max(FACTOR * idleMillis, FLOOR_MILLIS);
            assertThat(loadedMillis).as("ms from connecting to delivery of another client's mail (idle gateway: %d ms)", idleMillis)
                .isLessThanOrEqualTo(limit);

            List<String> greetings = new ArrayList<>();
            for (Socket socket : stalled) {
                greetings.add(RawSmtp.readLine(socket));
            }
            assertThat(greetings.stream().filter(line -> line.startsWith("220 "))).hasSize(PER_ADDRESS);
            assertThat(greetings.stream().filter(line -> line.startsWith("421 4.7.0 Too many connections"))).hasSize(CONNECTIONS - PER_ADDRESS);
            assertThat(dns.queries()).as("queries the silent server got").isPositive();
        } finally {
            // The client resets the connections it was let in on (RST), closes the others.
            for (Socket socket : stalled) {
                if (!socket.isClosed()) {
                    socket.setSoLinger(true, 0);
                    socket.close();
                }
            }
        }

        // Past the lookup timeout, one from an address whose lookup stalls is served without a host name.
        String id = "stalled-" + ids.incrementAndGet();
        Instant start = Instant.now();
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(OTHER_STALLED_SOURCE), Optional.empty())) {
            assertThat(client.send("b@example.org", List.of("someone@external.example"), message(id)).code).isEqualTo(250);
        }
        assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(LOOKUP_TIMEOUT_SECONDS + 8));
        assertThat(awaitDelivered(id).header("Received")).startsWith("from " + OTHER_STALLED_SOURCE + " (EHLO ");

        Pause.sleep(2000);
        String log = james.logText();
        assertThat(log).doesNotContain("Unable to process request");
        assertThat(linesWith(log, "Refused a connection from " + STALLED_SOURCE)).as("refusals logged").isBetween(1L, 2L);
        assertThat(linesWith(log, "Connection from " + STALLED_SOURCE + " failed")).as("resets logged").isBetween(1L, 2L);
        assertThat(james.webAdmin().metrics())
            .containsEntry("relayguard_smtp_connections_refused_total", (double) (CONNECTIONS - PER_ADDRESS))
            .hasEntrySatisfying("relayguard_smtp_connections_reset_total", resets -> assertThat(resets).isPositive())
            .hasEntrySatisfying("relayguard_smtp_reverse_lookups_timed_out_total", timedOut -> assertThat(timedOut).isPositive());
    }

    @Test
    void anExchangeOnlineHostKeepsItsNameWhileManyAddressesOfAnotherNetworkStallTheirLookups() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 1; i <= STALLED_ADDRESSES; i++) {
                Socket socket = connect(STALLED_NETWORK + i);
                stalled.add(socket);
                RawSmtp.send(socket, "EHLO stalled.example");
            }
            for (Socket socket : stalled) {
                assertThat(RawSmtp.readLine(socket)).startsWith("220 ");
            }

            // A foreign tenant's mail from Exchange Online (SPEC: X-OriginatorOrg absent → deny): the
            // rules must see its host name, so its lookup must not wait behind the stalled ones.
            String id = "foreign-" + ids.incrementAndGet();
            try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty())) {
                assertThat(client.send("a@evil.example", List.of("someone@external.example"), message(id)).code).isEqualTo(250);
            }
            assertThat(awaitDelivered(id).header("Received")).as("the host name the rules saw")
                .startsWith("from " + JamesServer.M365_HOST_NAME + " (EHLO ");
            assertThat(awaitQuarantined(id)).as("denied (audit mode: quarantined and relayed)").isTrue();
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    private boolean awaitQuarantined(String id) {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            for (String key : james.webAdmin().mailKeys(JamesServer.QUARANTINE)) {
                if (id.equals(Outcomes.headerOf(james.webAdmin().rawMail(JamesServer.QUARANTINE, key), Scenario.SCENARIO_HEADER))) {
                    return true;
                }
            }
            Pause.sleep(100);
        }
        return false;
    }

    /** A mail from {@value #OTHER_SOURCE}, from connecting to its delivery at the internet next hop; checks it kept its host name. */
    private long deliveryMillis() throws Exception {
        String id = "other-" + ids.incrementAndGet();
        long start = System.nanoTime();
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(OTHER_SOURCE), Optional.empty())) {
            assertThat(client.send("b@example.org", List.of("someone@external.example"), message(id)).code).isEqualTo(250);
        } catch (SocketTimeoutException e) {
            fail("Another client got no reply within 30 s: the gateway's I/O threads are stuck", e);
        }
        SmtpSink.Received delivered = awaitDelivered(id);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(delivered.header("Received")).startsWith("from localhost (EHLO ");
        return millis;
    }

    private static String message(String id) {
        return "Subject: " + id + "\r\n" + Scenario.SCENARIO_HEADER + ": " + id + "\r\n\r\nan ordinary mail\r\n";
    }

    private SmtpSink.Received awaitDelivered(String id) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            Optional<SmtpSink.Received> delivered = hops.internet().received().stream()
                .filter(mail -> id.equals(mail.header(Scenario.SCENARIO_HEADER)))
                .findFirst();
            if (delivered.isPresent()) {
                return delivered.get();
            }
            Pause.sleep(5);
        }
        throw new AssertionError(id + " was not delivered within 60 s");
    }

    private static long median(long... values) {
        List<Long> sorted = new ArrayList<>();
        for (long value : values) {
            sorted.add(value);
        }
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static long linesWith(String log, String text) {
        return log.lines().filter(line -> line.contains(text)).count();
    }

    private Socket connect(String source) throws IOException {
        return RawSmtp.connect(source, james.smtpPort());
    }


}
