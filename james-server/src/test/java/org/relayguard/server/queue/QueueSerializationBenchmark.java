package org.relayguard.server.queue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.concurrent.TimeUnit;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailHeaders;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The queue's serialization cuts of issue 32, the old path beside the new one in one run (read the
 * ratios and, with {@code -prof gc}, the bytes allocated per operation; timings on a shared machine
 * are indications only):
 * <ul>
 * <li>{@code skipHeaderByParse} / {@code skipHeaderByScan}: passing over a received 3 KB header of
 * Exchange Online's kind to reach the body, as the queue does on every write of a message whose
 * header is held parsed: javax.mail's parser (before) against {@link HeaderEnd} (now);</li>
 * <li>{@code envelopeAsTree} / {@code envelopeStreamed}: a queue entry's envelope JSON, as a Jackson
 * tree and its {@code toString} (before) against {@link MailEnvelope#write} (now).</li>
 * </ul>
 *
 * <pre>java -cp "james-server/target/test-classes:james-server/target/classes:$(cat james-server/target/test-classpath.txt)" \
 *     org.openjdk.jmh.Main QueueSerializationBenchmark -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = "-Xmx512m")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class QueueSerializationBenchmark {
    private byte[] message;
    private MailImpl mail;

    @Setup
    public void setUp() throws Exception {
        StringBuilder header = new StringBuilder();
        for (int hop = 0; hop < 6; hop++) {
            header.append("Received: from AM0PR0").append(hop).append("MB1234.eurprd04.prod.outlook.com (2603:10a6:208:11e::").append(hop)
                .append(")\r\n by AM0PR0").append(hop).append("MB5678.eurprd04.prod.outlook.com with HTTPS; Tue, 8 Dec 2026 02:0")
                .append(hop).append(":00 +0000\r\n");
        }
        header.append("ARC-Seal: i=1; a=rsa-sha256; s=arcselector9901; d=microsoft.com; cv=none;\r\n b=")
            .append("Q".repeat(300)).append("\r\n");
        header.append("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=contoso.com; s=selector1;\r\n bh=")
            .append("B".repeat(44)).append(";\r\n b=").append("S".repeat(340)).append("\r\n");
        for (int field = 0; field < 20; field++) {
            header.append("X-MS-Exchange-CrossTenant-Field").append(field).append(": ").append("v".repeat(40)).append("\r\n");
        }
        header.append("From: Kijitora <kijitora@contoso.com>\r\nTo: someone@external.example\r\nSubject: Quarterly figures\r\n")
            .append("Message-ID: <AM0PR04MB1234.eurprd04.prod.outlook.com>\r\nMIME-Version: 1.0\r\n")
            .append("X-OriginatorOrg: contoso.com\r\n\r\n");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
        bytes.writeBytes("body line of about sixty characters, as mail has them......\r\n".repeat(16).getBytes(StandardCharsets.US_ASCII));
        message = bytes.toByteArray();
        mail = MailImpl.builder().name("Mail1796000000000-3f1c2a7e-5d6b-4c1e-9a8f-0b1c2d3e4f50")
            .sender(new MailAddress("kijitora@contoso.com"))
            .addRecipient(new MailAddress("someone@external.example"))
            .state("transport").lastUpdated(new Date(1_796_000_000_000L))
            .remoteHost("APC01-PU1-obe.outbound.protection.outlook.com").remoteAddr("104.47.126.239")
            .addAttribute(new Attribute(AttributeName.of("org.relayguard.tls"), AttributeValue.of("TLSv1.3")))
            .addAttribute(new Attribute(AttributeName.of("org.relayguard.route"), AttributeValue.of("internet")))
            .build();
    }

    private InputStream received() {
        return new MailBodies.UnsynchronizedByteArrayInputStream(message);
    }

    @Benchmark
    public int skipHeaderByParse() throws Exception {
        InputStream in = received();
        new MailHeaders(in);
        return in.available();
    }

    @Benchmark
    public int skipHeaderByScan() throws Exception {
        InputStream in = received();
        HeaderEnd.skip(in);
        return in.available();
    }

    @Benchmark
    public String envelopeAsTree() {
        return EnvelopeAsTree.write(mail);
    }

    @Benchmark
    public String envelopeStreamed() {
        return MailEnvelope.write(mail);
    }
}
