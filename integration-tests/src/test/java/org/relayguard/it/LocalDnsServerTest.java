package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.LocalDnsServer;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The tests' DNS server ({@link LocalDnsServer}) asked by dnsjava, the resolver James uses, over
 * UDP and TCP: MX, A, AAAA and PTR from its table, changed at run time; NXDOMAIN for an unknown
 * name, an empty NOERROR for a known one without the type; stalls; two servers on two loopback
 * addresses; malformed queries. Root only (port 53), skipped otherwise. No James: a few seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalDnsServerTest {
    static final String OTHER_ADDRESS = "127.53.53.54";

    private LocalDnsServer dns;
    private LocalDnsServer other;

    @BeforeAll
    void start() throws IOException {
        assumeTrue(LocalDnsServer.canRun(), "needs root: a DNS server on port 53");
        dns = LocalDnsServer.start();
        other = LocalDnsServer.start(OTHER_ADDRESS);
    }

    @AfterAll
    void stop() {
        if (dns != null) {
            dns.close();
        }
        if (other != null) {
            other.close();
        }
    }

    @Test
    void answersMxRecordsOfADomainInPreferenceOrderAsTheTableSays() throws Exception {
        dns.mx("mx-order.example", 20, "mx2.mx-order.example").mx("mx-order.example", 10, "mx1.mx-order.example");

        for (boolean tcp : new boolean[] {false, true}) {
            Message reply = ask(dns, "mx-order.example", Type.MX, tcp);
            assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(reply.getHeader().getFlag(org.xbill.DNS.Flags.AA)).as("authoritative").isTrue();
            assertThat(reply.getSection(Section.ANSWER).stream().map(record -> (MXRecord) record)
                .map(mx -> mx.getPriority() + " " + mx.getTarget()).collect(Collectors.toList()))
                .containsExactlyInAnyOrder("20 mx2.mx-order.example.", "10 mx1.mx-order.example.");
        }
        assertThat(dns.queries("MX", "mx-order.example")).isEqualTo(2);
    }

    @Test
    void answersAddressesAndNamesAndSeesChangesAtOnce() throws Exception {
        dns.a("host.addresses.example", "127.25.0.1").aaaa("host.addresses.example", "::1").ptr("127.25.0.1", "host.addresses.example");

        Message a = ask(dns, "HOST.Addresses.example", Type.A, false);
        assertThat(a.getSection(Section.ANSWER)).extracting(record -> ((ARecord) record).getAddress().getHostAddress())
            .containsExactly("127.25.0.1");
        assertThat(a.getSection(Section.ANSWER).get(0).getTTL()).as("not cached unless asked").isZero();
        assertThat(ask(dns, "host.addresses.example", Type.AAAA, true).getSection(Section.ANSWER)).hasSize(1);
        Message ptr = ask(dns, ReverseMap.fromAddress("127.25.0.1").toString(), Type.PTR, false);
        assertThat(ptr.getSection(Section.ANSWER)).extracting(record -> ((PTRRecord) record).getTarget().toString())
            .containsExactly("host.addresses.example.");

        dns.remove("host.addresses.example").a("host.addresses.example", "127.25.0.2");
        assertThat(ask(dns, "host.addresses.example", Type.A, false).getSection(Section.ANSWER))
            .extracting(record -> ((ARecord) record).getAddress().getHostAddress()).containsExactly("127.25.0.2");
    }

    @Test
    void anUnknownNameIsNxdomainAndAKnownOneWithoutTheTypeIsAnEmptyNoerror() throws Exception {
        dns.a("only-a.example", "127.25.0.3");

        assertThat(ask(dns, "unknown.example", Type.MX, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        Message empty = ask(dns, "only-a.example", Type.MX, true);
        assertThat(empty.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(empty.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void twoServersOnTwoLoopbackAddressesAnswerFromTheirOwnTables() throws Exception {
        dns.a("two.example", "127.25.0.4");
        other.a("two.example", "127.25.0.5");

        assertThat(((ARecord) ask(dns, "two.example", Type.A, false).getSection(Section.ANSWER).get(0)).getAddress().getHostAddress())
            .isEqualTo("127.25.0.4");
        assertThat(((ARecord) ask(other, "two.example", Type.A, false).getSection(Section.ANSWER).get(0)).getAddress().getHostAddress())
            .isEqualTo("127.25.0.5");
    }

    @Test
    void aStalledNameOrAStalledServerIsNotAnsweredWhileOthersAre() throws Exception {
        other.a("stalled.example", "127.25.0.6").a("answered.example", "127.25.0.7").stall("stalled.example");
        try {
            assertThatThrownBy(() -> ask(other, "stalled.example", Type.A, false)).isInstanceOf(IOException.class).hasMessageMatching("(?is).*timed out.*");
            assertThatThrownBy(() -> ask(other, "stalled.example", Type.A, true)).isInstanceOf(IOException.class).hasMessageMatching("(?is).*timed out.*");
            assertThat(ask(other, "answered.example", Type.A, false).getSection(Section.ANSWER)).hasSize(1);
            other.stall(true);
            assertThatThrownBy(() -> ask(other, "answered.example", Type.A, false)).isInstanceOf(IOException.class).hasMessageMatching("(?is).*timed out.*");
            assertThatThrownBy(() -> ask(other, "answered.example", Type.A, true)).isInstanceOf(IOException.class).hasMessageMatching("(?is).*timed out.*");
            assertThat(other.queries("A", "stalled.example")).as("counted, not answered").isEqualTo(2);
        } finally {
            other.stall(false).answer("stalled.example");
        }
        assertThat(ask(other, "stalled.example", Type.A, false).getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void malformedQueriesAreRefusedOrIgnoredAndTheServerGoesOn() throws Exception {
        dns.a("after.example", "127.25.0.8");
        byte[] pointer = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1};
        byte[] cutShort = {0x12, 0x35, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 63, 'a', 'b'};
        byte[] twoQuestions = {0x12, 0x36, 0x01, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(2000);
            for (byte[] query : List.of(pointer, cutShort, twoQuestions)) {
                socket.send(new DatagramPacket(query, query.length, new InetSocketAddress(dns.address(), 53)));
                byte[] buffer = new byte[512];
                DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
                socket.receive(reply);
                assertThat(buffer[0]).isEqualTo(query[0]);
                assertThat(buffer[1]).isEqualTo(query[1]);
                assertThat(buffer[3] & 0xF).as("FORMERR").isEqualTo(Rcode.FORMERR);
            }
            byte[] headerOnly = {1, 2, 3};
            socket.send(new DatagramPacket(headerOnly, headerOnly.length, new InetSocketAddress(dns.address(), 53)));
        }
        assertThat(ask(dns, "after.example", Type.A, false).getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void refusesToListenOnAnAddressOtherThanLoopback() {
        assertThatThrownBy(() -> LocalDnsServer.start("192.0.2.1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalDnsServer.start("localhost")).isInstanceOf(IllegalArgumentException.class);
    }

    private static Message ask(LocalDnsServer server, String name, int type, boolean tcp) throws IOException {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(server.address(), 53));
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(1));
        Record question = Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN);
        return resolver.send(Message.newQuery(question));
    }
}
