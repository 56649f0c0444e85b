package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;

/**
 * CHUNKING (BDAT, RFC 3030) on a real Relay Guard server started from the shipped configuration:
 * both listeners offer it, chunks of any size and cut anywhere make the mail a DATA client would
 * have sent, and what arrives at the next hop (over DATA: the sink offers no CHUNKING) is that one
 * mail, dot-stuffed on the wire, never a second one smuggled in a chunk. Exchange Online is played
 * by our SMTP client and by Python's {@code smtplib} (EHLO, MAIL and RCPT by smtplib, the BDAT by
 * its socket: smtplib has no BDAT), from the loopback address named as a Microsoft 365 host. The
 * message size limit is lowered to 64K for the 552 case.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChunkingTest {
    private static final String SENDER = "a@contoso.com";
    private static final String RECIPIENT = Scenario.RECIPIENT;

    private NextHops hops;
    private JamesServer james;

    @BeforeAll
    void startGateway() throws Exception {
        hops = NextHops.start();
        james = JamesServer.builder().nextHops(hops).prepare();
        Path smtpServer = james.conf("smtpserver.xml");
        String xml = Files.readString(smtpServer, StandardCharsets.UTF_8);
        String limit = "<!ENTITY maxMessageSize \"150M\">";
        assertThat(xml).contains(limit);
        Files.writeString(smtpServer, xml.replace(limit, "<!ENTITY maxMessageSize \"64K\">"), StandardCharsets.UTF_8);
        james.start();
    }

    @AfterAll
    void stopGateway() {
        james.close();
        hops.close();
    }

    /** A mail the shipped rules relay (our sender, our org), told apart by its scenario header. */
    static String message(String id, String body) {
        return "From: " + SENDER + "\r\n"
            + "To: " + RECIPIENT + "\r\n"
            + "Subject: chunking " + id + "\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\n"
            + Scenario.SCENARIO_HEADER + ": " + id + "\r\n"
            + "X-OriginatorOrg: contoso.com\r\n"
            + "\r\n"
            + body;
    }

    private SmtpClient fromExchangeOnline() throws IOException {
        return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty());
    }

    /** The copies of a mail the internet next hop received, waiting up to 60 s for the first. */
    private List<SmtpSink.Received> relayed(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        List<SmtpSink.Received> copies;
        do {
            copies = hops.internet().received().stream()
                .filter(mail -> mail.header(Scenario.SCENARIO_HEADER).equals(id))
                .collect(Collectors.toList());
            if (!copies.isEmpty()) {
                Thread.sleep(500);
                return hops.internet().received().stream()
                    .filter(mail -> mail.header(Scenario.SCENARIO_HEADER).equals(id))
                    .collect(Collectors.toList());
            }
            Thread.sleep(100);
        } while (Instant.now().isBefore(deadline));
        return copies;
    }

    /** The copies of a mail the internet next hop holds now (for a mail sent before one that arrived). */
    private List<SmtpSink.Received> relayedNow(String id) {
        return hops.internet().received().stream()
            .filter(mail -> mail.header(Scenario.SCENARIO_HEADER).equals(id))
            .collect(Collectors.toList());
    }

    /** The body of the one relayed copy of a mail. */
    private String relayedBody(String id) throws InterruptedException {
        List<SmtpSink.Received> copies = relayed(id);
        assertThat(copies).as("copies of %s at the next hop", id).hasSize(1);
        String message = copies.get(0).message;
        return message.substring(message.indexOf("\r\n\r\n") + 4);
    }

    /** EHLO, MAIL and RCPT: the client may send its BDATs. */
    private static void openTransaction(SmtpClient client) throws IOException {
        client.ehlo();
        client.command("MAIL FROM:<" + SENDER + ">").expect(250);
        client.command("RCPT TO:<" + RECIPIENT + ">").expect(250);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void ehloOffersChunkingOnBothListeners() throws Exception {
        try (SmtpClient direct = fromExchangeOnline();
             SmtpClient proxied = SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR))) {
            assertThat(direct.command("EHLO client.example").text.lines()).anyMatch(line -> line.substring(4).equals("CHUNKING"));
            assertThat(proxied.command("EHLO client.example").text.lines()).anyMatch(line -> line.substring(4).equals("CHUNKING"));
        }
    }

    @Test
    void bdatShouldRelayChunksOf1And7And8193BytesByteForByte() throws Exception {
        String body = "First line of a CRLF-clean mail.\r\n"
            + "x".repeat(9000) + "\r\n"
            + "\r\n"
            + "Last line.\r\n";
        for (int size : new int[] {1, 7, 8193}) {
            String id = "chunks-of-" + size;
            try (SmtpClient client = fromExchangeOnline()) {
                client.ehlo();
                assertThat(client.transactionByBdat(SENDER, "", List.of(RECIPIENT), bytes(message(id, body)), size).code).isEqualTo(250);
            }
        }
        for (int size : new int[] {1, 7, 8193}) {
            assertThat(relayedBody("chunks-of-" + size)).isEqualTo(body);
        }
    }

    @Test
    void bdatShouldRelayAChunkEndingMidLineAndMidCrlf() throws Exception {
        String id = "mid-line";
        byte[] mail = bytes(message(id, "One line\r\nSecond line\r\n"));
        int midLine = new String(mail, StandardCharsets.UTF_8).indexOf("Second") + 3;
        int midCrlf = new String(mail, StandardCharsets.UTF_8).indexOf("line\r\nSecond") + 5;
        try (SmtpClient client = fromExchangeOnline()) {
            openTransaction(client);
            assertThat(client.bdat(java.util.Arrays.copyOfRange(mail, 0, midCrlf), false).text).startsWith("250 2.0.0");
            assertThat(client.bdat(java.util.Arrays.copyOfRange(mail, midCrlf, midLine), false).code).isEqualTo(250);
            assertThat(client.bdat(java.util.Arrays.copyOfRange(mail, midLine, mail.length), true).code).isEqualTo(250);
        }
        assertThat(relayedBody(id)).isEqualTo("One line\r\nSecond line\r\n");
    }

    @Test
    void bdatZeroLastShouldEndTheMessage() throws Exception {
        String id = "bdat-0-last";
        try (SmtpClient client = fromExchangeOnline()) {
            openTransaction(client);
            assertThat(client.bdat(bytes(message(id, "No line end at the end")), false).code).isEqualTo(250);
            assertThat(client.bdat(new byte[0], true).code).isEqualTo(250);
        }
        assertThat(relayedBody(id)).isEqualTo("No line end at the end\r\n");
    }

    @Test
    void bdatShouldSplitThreePipelinedChunksAndQuitFromOneWrite() throws Exception {
        String id = "pipelined";
        byte[] mail = bytes(message(id, "Pipelined body\r\nBDAT 5\r\nQUIT\r\n"));
        ByteArrayOutputStream write = new ByteArrayOutputStream();
        int third = mail.length / 3;
        write.writeBytes(bytes("BDAT " + third + "\r\n"));
        write.write(mail, 0, third);
        write.writeBytes(bytes("BDAT " + third + "\r\n"));
        write.write(mail, third, third);
        write.writeBytes(bytes("BDAT " + (mail.length - 2 * third) + " LAST\r\n"));
        write.write(mail, 2 * third, mail.length - 2 * third);
        write.writeBytes(bytes("QUIT\r\n"));
        try (SmtpClient client = fromExchangeOnline()) {
            openTransaction(client);
            client.writeRaw(write.toByteArray());
            assertThat(client.reply().code).isEqualTo(250);
            assertThat(client.reply().code).isEqualTo(250);
            assertThat(client.reply().text).as("the queue's answer to the last chunk").contains("Message received");
            assertThat(client.reply().code).isEqualTo(221);
        }
        assertThat(relayedBody(id)).isEqualTo("Pipelined body\r\nBDAT 5\r\nQUIT\r\n");
    }

    @Test
    void bdatShouldRelayBareLfAndDotLinesAsOneMailFromPythonSmtplib() throws Exception {
        String id = "smtplib-dots";
        String smuggled = "smuggled-by-bdat";
        String body = "bare LF line\nnext\r\n.\r\nMAIL FROM:<" + SENDER + ">\r\nRCPT TO:<" + RECIPIENT + ">\r\nDATA\r\n"
            + Scenario.SCENARIO_HEADER + ": " + smuggled + "\r\n\r\nsecond mail\r\n.\r\n.\nafter a lone dot\r\n";
        byte[] mail = bytes(message(id, body));
        Path file = Files.createTempFile("chunking", ".eml");
        Files.write(file, mail);
        String script = String.join("\n",
            "import smtplib, sys",
            "data = open(sys.argv[2], 'rb').read()",
            "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=('" + JamesServer.M365_HOST_SOURCE + "', 0))",
            "code, features = s.ehlo('client.example')",
            "assert s.has_extn('chunking'), features",
            "assert s.mail('" + SENDER + "')[0] == 250",
            "assert s.rcpt('" + RECIPIENT + "')[0] == 250",
            "half = len(data) // 2",
            "s.sock.sendall(b'BDAT %d\\r\\n' % half + data[:half])",
            "print(s.getreply())",
            "s.sock.sendall(b'BDAT %d LAST\\r\\n' % (len(data) - half) + data[half:])",
            "print(s.getreply())",
            "s.quit()");
        Process python = new ProcessBuilder("python3", "-c", script, String.valueOf(james.smtpPort()), file.toString())
            .redirectErrorStream(true).start();
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.exitValue()).as(output).isZero();
        assertThat(output.lines()).as(output).hasSize(2).allMatch(line -> line.startsWith("(250,"));
        Files.delete(file);

        assertThat(relayedBody(id)).as("the chunk's lines, a bare LF made CRLF, the dot lines kept as text")
            .isEqualTo(body.replace("line\nnext", "line\r\nnext").replace("\r\n.\nafter", "\r\n.\r\nafter"));
        assertThat(relayedNow(smuggled)).as("no second mail from inside the chunk").isEmpty();
    }

    @Test
    void bdatShouldRelayA20000ByteLine() throws Exception {
        String id = "long-line";
        String body = "y".repeat(20000) + "\r\n";
        try (SmtpClient client = fromExchangeOnline()) {
            client.ehlo();
            assertThat(client.transactionByBdat(SENDER, "", List.of(RECIPIENT), bytes(message(id, body)), 4096).code).isEqualTo(250);
        }
        assertThat(relayedBody(id)).isEqualTo(body);
    }

    @Test
    void dataDuringABdatTransactionShouldBeRefusedAndTheChunksGoOn() throws Exception {
        String id = "data-in-bdat";
        byte[] mail = bytes(message(id, "Body\r\n"));
        try (SmtpClient client = fromExchangeOnline()) {
            openTransaction(client);
            assertThat(client.bdat(java.util.Arrays.copyOfRange(mail, 0, 10), false).code).isEqualTo(250);
            assertThat(client.command("DATA").code).isEqualTo(503);
            assertThat(client.bdat(java.util.Arrays.copyOfRange(mail, 10, mail.length), true).code).isEqualTo(250);
            String second = "data-after-bdat";
            assertThat(client.transaction(SENDER, "", List.of(RECIPIENT), message(second, "By DATA\r\n")).code)
                .as("DATA in the next transaction").isEqualTo(250);
            assertThat(relayedBody(second)).isEqualTo("By DATA\r\n");
        }
        assertThat(relayedBody(id)).isEqualTo("Body\r\n");
    }

    @Test
    void rsetBetweenChunksShouldDiscardTheMail() throws Exception {
        String discarded = "rset-discarded";
        String kept = "rset-then-sent";
        try (SmtpClient client = fromExchangeOnline()) {
            openTransaction(client);
            assertThat(client.bdat(bytes(message(discarded, "Half a mail\r\n")), false).code).isEqualTo(250);
            client.command("RSET").expect(250);
            assertThat(client.bdat(bytes("more\r\n"), true).code).as("no transaction after RSET").isEqualTo(503);
            assertThat(client.transactionByBdat(SENDER, "", List.of(RECIPIENT), bytes(message(kept, "Whole\r\n")), 100).code).isEqualTo(250);
        }
        assertThat(relayedBody(kept)).isEqualTo("Whole\r\n");
        assertThat(relayedNow(discarded)).isEmpty();
    }

    @Test
    void bdatOverTheSizeLimitAcrossChunksShouldBeRefusedWith552() throws Exception {
        String id = "too-big";
        byte[] mail = bytes(message(id, ("z".repeat(998) + "\r\n").repeat(70)));
        try (SmtpClient client = fromExchangeOnline()) {
            client.ehlo();
            SmtpClient.Reply reply = client.transactionByBdat(SENDER, "", List.of(RECIPIENT), mail, 16 * 1024);
            assertThat(reply.code).as(reply.text).isEqualTo(552);
            assertThat(client.transactionByBdat(SENDER, "", List.of(RECIPIENT), bytes(message("after-552", "Small\r\n")), 50).code)
                .as("the session goes on").isEqualTo(250);
        }
        assertThat(relayedBody("after-552")).isEqualTo("Small\r\n");
        assertThat(relayedNow(id)).isEmpty();
    }
}
