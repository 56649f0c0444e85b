package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.process.Pause;

/**
 * SPEC "Nothing accepted is lost" under a full disk: the Relay Guard server as shipped, its
 * {@code var/} on a small tmpfs, both next hops down while the disk is filled to its last byte with
 * mail waiting. Every reply comes within a second: MAIL gets {@code 452 4.3.1} while the free space
 * is below the threshold (and for a declared {@code SIZE=} that does not fit), a message whose
 * write fails gets {@code 451}. Once the space is freed and the next hops are back, intake resumes
 * within 5 s and every mail answered {@code 250} is delivered exactly once, without a restart.
 * Root only (it mounts the tmpfs), as CI runs.
 */
class DiskFullTest {
    private static final String VOLUME_SIZE = "96m";
    private static final String MIN_FREE_SPACE = "16M";
    private static final Duration FAST = Duration.ofSeconds(1);
    private static final int LARGE_SIZE = 200 * 1024;
    private static final TransportMail MAIL = TransportMail.OUTBOUND;

    private final List<String> acknowledged = new ArrayList<>();
    private int next;

    @Test
    void aFullDiskIsRefusedFastAndSurvivedWithoutARestart() throws Exception {
        assumeThat(System.getProperty("user.name")).as("mounting a tmpfs needs root").isEqualTo("root");
        try (NextHops hops = NextHops.down()) {
            JamesServer james = JamesServer.builder().nextHops(hops)
                .env("RELAYGUARD_SMTP_MIN_FREE_SPACE", MIN_FREE_SPACE)
                .prepare();
            Path var = Files.createDirectories(james.root().resolve("var"));
            run("mount", "-t", "tmpfs", "-o", "size=" + VOLUME_SIZE, "tmpfs", var.toString());
            try {
                retryEveryTwoSeconds(james);
                james.start();
                survivesAFullDisk(james, hops, var);
            } finally {
                james.close();
                run("umount", "-l", var.toString());
            }
        }
    }

    private void survivesAFullDisk(JamesServer james, NextHops hops, Path var) throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(send(james, false).code).isEqualTo(250);
        }
        assertThat(send(james, true).code).isEqualTo(250);

        // Two clients past MAIL and RCPT when the disk fills: their message comes after.
        List<SmtpClient> pending = new ArrayList<>();
        List<String> pendingIds = new ArrayList<>();
        for (boolean large : List.of(false, true)) {
            SmtpClient client = MAIL.connect(james);
            client.ehlo();
            client.command("MAIL FROM:<" + MAIL.sender + ">").expect(250);
            client.command("RCPT TO:<" + MAIL.recipient + ">").expect(250);
            client.command("DATA").expect(354);
            pending.add(client);
            pendingIds.add(nextId(large));
        }

        Path filler = var.resolve("filler");
        fill(filler);
        System.out.printf("disk full: %d bytes free on %s%n", Files.getFileStore(var).getUsableSpace(), var);

        for (int i = 0; i < pending.size(); i++) {
            SmtpClient client = pending.get(i);
            String id = pendingIds.get(i);
            String message = message(id, i == 1);
            SmtpClient.Reply reply = timed(() -> client.command(new String(SmtpClient.dataLines(message.getBytes()), java.nio.charset.StandardCharsets.ISO_8859_1) + "."));
            assertThat(reply.code).as("end of DATA on a full disk: %s", reply).isIn(250, 451);
            if (reply.code == 250) {
                acknowledged.add(id);
            }
            client.close();
        }

        // DiskSpaceGuard reads the free space at most once a second.
        Thread.sleep(1_100);
        Map<Integer, Long> whileFull = new java.util.TreeMap<>();
        for (int i = 0; i < 6; i++) {
            SmtpClient.Reply reply = timed(() -> {
                try (SmtpClient client = MAIL.connect(james)) {
                    client.ehlo();
                    return client.command("MAIL FROM:<" + MAIL.sender + ">");
                }
            });
            whileFull.merge(reply.code, 1L, Long::sum);
            assertThat(reply.code).as("MAIL on a full disk: %s", reply).isEqualTo(452);
            assertThat(reply.text).contains("4.3.1 Insufficient system storage");
        }
        String health = james.webAdmin().get("/healthcheck", "application/json").body;
        System.out.println("health while full: " + health);
        assertThat(health).contains("Mail queues").contains("free");

        // Deliveries retry against the full disk for a while (every 2 s, both next hops down).
        Thread.sleep(10_000);

        Files.delete(filler);
        hops.up();
        Instant freed = Instant.now();
        Duration resumed = awaitIntake(james, freed);
        System.out.printf("intake resumed %d ms after the space came back%n", resumed.toMillis());
        // The guard reads the free space once a second and a MAIL refused waits a second here.
        assertThat(resumed).isLessThan(Duration.ofSeconds(5));
        for (int i = 0; i < 3; i++) {
            assertThat(send(james, i == 2).code).isEqualTo(250);
        }

        awaitDelivered(hops, Duration.ofSeconds(90));
        Thread.sleep(5_000);
        Map<String, Long> copies = deliveredCopies(hops);
        for (String id : acknowledged) {
            assertThat(copies.get(id)).as("copies of %s delivered", id).isEqualTo(1L);
        }
        assertThat(james.isRunning()).isTrue();
        SmtpClient.Reply tooLarge = timed(() -> {
            try (SmtpClient client = MAIL.connect(james)) {
                client.ehlo();
                return client.command("MAIL FROM:<" + MAIL.sender + "> SIZE=" + 100_000_000);
            }
        });
        assertThat(tooLarge.code).as("MAIL with a SIZE= over the free space: %s", tooLarge).isEqualTo(452);
        assertThat(tooLarge.text).contains("4.3.1");
        Map<String, Double> metrics = james.webAdmin().metrics();
        assertThat(metrics.getOrDefault("relayguard_disk_space_refused_total", 0.0)).isGreaterThanOrEqualTo(7.0);
        assertThat(metrics).containsKey("relayguard_disk_space_free_bytes");
        assertThat(james.logText()).contains("DiskSpaceGuard: refusing mail")
            .contains("DiskSpaceGuard: accepting mail again");
        System.out.printf("%d mails acknowledged, each delivered once; while full: %s%n", acknowledged.size(), whileFull);
        String log = james.logText();
        log.lines()
            .filter(line -> line.contains("DiskSpaceGuard: ") || line.contains("mail queue broker") || line.contains("reconnecting")
                || line.contains("PooledDelivery: "))
            .forEach(System.out::println);
        // A failing retry came back at once and wrote a line each time: 409 lines in 2 s once.
        assertThat(log.lines().filter(line -> line.contains("left in the queue for another attempt")).count())
            .as("PooledDelivery's failure lines").isLessThanOrEqualTo(2);
    }

    private SmtpClient.Reply send(JamesServer james, boolean large) throws IOException {
        String id = nextId(large);
        SmtpClient.Reply reply = timed(Duration.ofSeconds(5), () -> {
            try (SmtpClient client = MAIL.connect(james)) {
                return client.send(MAIL.sender, List.of(MAIL.recipient), message(id, large));
            }
        });
        if (reply.code == 250) {
            acknowledged.add(id);
        }
        return reply;
    }

    private Duration awaitIntake(JamesServer james, Instant freed) throws Exception {
        while (Duration.between(freed, Instant.now()).compareTo(Duration.ofSeconds(60)) < 0) {
            String id = nextId(false);
            SmtpClient.Reply reply = timed(Duration.ofSeconds(2), () -> {
                try (SmtpClient client = MAIL.connect(james)) {
                    client.ehlo();
                    SmtpClient.Reply mail = client.command("MAIL FROM:<" + MAIL.sender + ">");
                    if (mail.code != 250) {
                        return mail;
                    }
                    client.command("RCPT TO:<" + MAIL.recipient + ">").expect(250);
                    client.command("DATA").expect(354);
                    return client.command(new String(SmtpClient.dataLines(message(id, false).getBytes()), java.nio.charset.StandardCharsets.ISO_8859_1) + ".");
                }
            });
            System.out.printf("%d ms after the space came back: %s%n", Duration.between(freed, Instant.now()).toMillis(), reply);
            assertThat(reply.code).as("a mail after the space came back: %s", reply).isIn(250, 451, 452);
            if (reply.code == 250) {
                acknowledged.add(id);
                return Duration.between(freed, Instant.now());
            }
            Thread.sleep(1_000);
        }
        return Duration.ofSeconds(60);
    }

    private String nextId(boolean large) {
        return (large ? "large-" : "small-") + next++;
    }

    private static String message(String id, boolean large) {
        String text = MAIL.message(id);
        if (!large) {
            return text;
        }
        StringBuilder body = new StringBuilder(text);
        while (body.length() < LARGE_SIZE) {
            body.append("A line of a large message, long enough to need a body file of its own.\r\n");
        }
        return body.toString();
    }

    private interface SmtpCall {
        SmtpClient.Reply call() throws IOException;
    }

    /** The reply, which must come within a second. */
    private static SmtpClient.Reply timed(SmtpCall call) throws IOException {
        return timed(FAST, call);
    }

    /** The reply, which must come within the limit (a whole session of several commands: more than one reply's second). */
    private static SmtpClient.Reply timed(Duration limit, SmtpCall call) throws IOException {
        Instant start = Instant.now();
        SmtpClient.Reply reply = call.call();
        Duration took = Duration.between(start, Instant.now());
        assertThat(took).as("reply %s", reply).isLessThanOrEqualTo(limit);
        return reply;
    }

    /** Writes the file until the volume has no byte left. */
    private static void fill(Path filler) throws IOException {
        byte[] chunk = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            if (Files.getFileStore(filler.getParent()).getUsableSpace() > chunk.length) {
                throw e;
            }
        }
        byte[] bytes = new byte[4096];
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                out.write(bytes, 0, 1);
                out.flush();
            }
        } catch (IOException e) {
            // full
        }
    }

    private void awaitDelivered(NextHops hops, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Map<String, Long> copies = deliveredCopies(hops);
            List<String> missing = acknowledged.stream().filter(id -> !copies.containsKey(id)).collect(Collectors.toList());
            if (missing.isEmpty()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(missing.size() + " of " + acknowledged.size() + " acknowledged mails not delivered: " + missing);
            }
            Pause.sleep(200);
        }
    }

    private static Map<String, Long> deliveredCopies(NextHops hops) {
        return hops.internet().received().stream()
            .map(mail -> Optional.ofNullable(mail.header(TransportMail.ID_HEADER)).orElse("?"))
            .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    /** Every retry two seconds apart: the mail waiting while the disk is full goes on soon after. */
    private static void retryEveryTwoSeconds(JamesServer james) throws IOException {
        Path conf = james.conf("mailetcontainer.xml");
        String text = Files.readString(conf);
        String fast = text.replace("<delayTime>5000, 60000, 300000, 4*900000, 119*3600000</delayTime>", "<delayTime>2000</delayTime>");
        assertThat(fast).as("the retry schedule of conf/mailetcontainer.xml").isNotEqualTo(text);
        Files.writeString(conf, fast);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
    }
}
