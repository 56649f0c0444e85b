package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.process.Pause;

/**
 * SMTPUTF8 (RFC 6531) end to end on a real James 3.8.1 from the shipped configuration (proofpoint
 * profile, enforce: there the envelope sender's domain alone decides between relay and quarantine
 * for mail naming a foreign tenant). The M365 smart host offers SMTPUTF8, the internet route's
 * next hop does not, as a gateway in front of an older MTA would see them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmtpUtf8Test {
    private static final String OUR_IDN = "bücher.example";
    private static final String OUR_IDN_A_LABEL = "xn--bcher-kva.example";
    private NextHops hops;
    private JamesServer james;

    @BeforeAll
    void startGateway() throws Exception {
        hops = NextHops.start();
        hops.m365().offerSmtpUtf8(true);
        james = JamesServer.builder().profile(JamesServer.Profile.PROOFPOINT).enforce(true).nextHops(hops).start();
        // The DomainList holds A-labels, as an operator adds an internationalized domain.
        james.webAdmin().addDomain(OUR_IDN_A_LABEL);
    }

    @AfterAll
    void stopGateway() {
        james.close();
        hops.close();
    }

    private static String message(String id, String from) {
        return "From: Jürgen Müller <" + from + ">\r\n"
            + "To: someone@external.example\r\n"
            + "Subject: Grüße " + id + "\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\n"
            + Scenario.SCENARIO_HEADER + ": " + id + "\r\n"
            + "X-OriginatorOrg: evil.onmicrosoft.com\r\n"
            + "\r\nSMTPUTF8 test " + id + ".\r\n";
    }

    private SmtpClient fromExchangeOnline() throws IOException {
        return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty());
    }

    private SmtpClient fromTheInternet() throws IOException {
        return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty());
    }

    private static SmtpSink.Received awaitMail(SmtpSink sink, Predicate<SmtpSink.Received> which) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            Optional<SmtpSink.Received> found = sink.received().stream().filter(which).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Pause.sleep(200);
        }
        throw new AssertionError("no such mail at the sink; it has " + sink.received().size());
    }

    private static Predicate<SmtpSink.Received> withId(String id) {
        return mail -> mail.header(Scenario.SCENARIO_HEADER).equals(id);
    }

    @Test
    void ehloShouldOfferSmtpUtf8OnBothListeners() throws Exception {
        try (SmtpClient client = fromExchangeOnline()) {
            assertThat(client.command("EHLO client.example").text.lines()).contains("250-SMTPUTF8");
        }
        try (SmtpClient client = SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR))) {
            assertThat(client.command("EHLO client.example").text.lines()).contains("250-SMTPUTF8");
        }
    }

    @Test
    void aULabelSenderDomainAndItsALabelShouldDecideTheSameAndAForeignOneShouldBeQuarantined() throws Exception {
        int relayedBefore = hops.internet().count() + hops.m365().count();
        try (SmtpClient client = fromExchangeOnline()) {
            assertThat(client.send("a@" + OUR_IDN, "SMTPUTF8", List.of(Scenario.RECIPIENT), message("utf8-u-label", "a@" + OUR_IDN)).code).isEqualTo(250);
        }
        try (SmtpClient client = fromExchangeOnline()) {
            assertThat(client.send("a@" + OUR_IDN_A_LABEL, List.of(Scenario.RECIPIENT), message("utf8-a-label", "a@" + OUR_IDN_A_LABEL)).code).isEqualTo(250);
        }
        try (SmtpClient client = fromExchangeOnline()) {
            assertThat(client.send("jürgen@bücher-fremd.example", "SMTPUTF8", List.of(Scenario.RECIPIENT),
                message("utf8-foreign", "jürgen@bücher-fremd.example")).code).isEqualTo(250);
        }

        Outcomes outcomes = Outcomes.await(james, hops, relayedBefore + 2, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));

        XoorgTest.assertRelayed(outcomes, "utf8-u-label");
        XoorgTest.assertRelayed(outcomes, "utf8-a-label");
        XoorgTest.assertDenied(outcomes, "utf8-foreign");
        // The internet route's hop does not offer SMTPUTF8: the U-label domain went as its A-label.
        SmtpSink.Received uLabel = awaitMail(hops.internet(), withId("utf8-u-label"));
        assertThat(uLabel.mailFrom).isEqualTo("a@" + OUR_IDN_A_LABEL);
        assertThat(uLabel.mailCommand).doesNotContain("SMTPUTF8");
        assertThat(Files.readString(james.decisionLog(), StandardCharsets.UTF_8))
            .as("the decision log names the sender as the client wrote it")
            .contains("sender=jürgen@bücher-fremd.example");
    }

    @Test
    void aUtf8LocalPartShouldBeRelayedWithSmtpUtf8ToANextHopThatOffersIt() throws Exception {
        try (SmtpClient client = fromTheInternet()) {
            client.ehlo();
            client.command("MAIL FROM:<jürgen@bücher-extern.example> SMTPUTF8").expect(250);
            // DSN parameters of a UTF-8 recipient go on with it, found by the form the client wrote.
            client.command("RCPT TO:<δοκιμή@contoso.com> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;\\x{3B4}+40contoso.com").expect(250);
            assertThat(client.data(message("utf8-local-part", "jürgen@bücher-extern.example")).code).isEqualTo(250);
        }

        SmtpSink.Received received = awaitMail(hops.m365(), withId("utf8-local-part"));

        // Then SIZE= and BODY=8BITMIME: the sink offers SIZE and 8BITMIME, and the UTF-8 Subject is 8-bit.
        assertThat(received.mailCommand).startsWith("MAIL FROM:<jürgen@bücher-extern.example> SMTPUTF8 ").contains(" SIZE=", " BODY=8BITMIME");
        assertThat(received.rcptTo).containsExactly("δοκιμή@contoso.com");
        assertThat(received.rcptCommand("δοκιμή@contoso.com"))
            .isEqualTo("RCPT TO:<δοκιμή@contoso.com> NOTIFY=SUCCESS,FAILURE ORCPT=utf-8;\\x{3B4}+40contoso.com");
    }

    @Test
    void aUtf8LocalPartForANextHopWithoutSmtpUtf8ShouldBounceSayingWhy() throws Exception {
        try (SmtpClient client = fromTheInternet()) {
            assertThat(client.send("b@example.org", "SMTPUTF8", List.of("ünknown@external.example"),
                message("utf8-bounce", "b@example.org")).code).isEqualTo(250);
        }

        SmtpSink.Received bounce = awaitMail(hops.internet(), mail -> mail.rcptTo.contains("b@example.org") && mail.mailFrom.isEmpty());

        assertThat(bounce.message).contains("5.6.7").contains("does not offer SMTPUTF8");
        assertThat(hops.internet().received()).noneMatch(withId("utf8-bounce"));
    }

    @Test
    void anAddressOutsideAsciiWithoutSmtpUtf8ShouldBeRefusedNotMangled() throws Exception {
        try (SmtpClient client = fromExchangeOnline()) {
            client.ehlo();
            assertThat(client.command("MAIL FROM:<jürgen@bücher.example>").text).startsWith("553 5.6.7");
            assertThat(client.command("MAIL FROM:<\"üser\"@contoso.com>").text).startsWith("553 5.6.7");
            assertThat(client.command("MAIL FROM:<a@contoso.com>").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<δοκιμή@contoso.com>").text).startsWith("553 5.6.7");
        }
    }

    @Test
    void aDomainThatIsNoCleanIdnOrBytesThatAreNotUtf8ShouldBeRefused() throws Exception {
        try (SmtpClient client = fromExchangeOnline()) {
            client.ehlo();
            assertThat(client.command("MAIL FROM:<a@straße.de> SMTPUTF8").text).startsWith("553 5.1.7");
            assertThat(client.command("MAIL FROM:<a@contoso.com> SMTPUTF8").code).isEqualTo(250);
            assertThat(client.command("RCPT TO:<a@b\u200Dücher.example>").text).startsWith("553 5.1.3");
        }
        try (Socket socket = RawSmtp.connect(JamesServer.M365_HOST_SOURCE, james.smtpPort())) {
            RawSmtp.readLine(socket);
            RawSmtp.send(socket, "EHLO client.example");
            String line;
            do {
                line = RawSmtp.readLine(socket);
            } while (line.startsWith("250-"));
            socket.getOutputStream().write("MAIL FROM:<j\u00fcrgen@contoso.com> SMTPUTF8\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawSmtp.readLine(socket)).startsWith("501 5.5.2");
        }
    }
}
