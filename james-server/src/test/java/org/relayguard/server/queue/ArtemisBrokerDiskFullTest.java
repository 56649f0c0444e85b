package org.relayguard.server.queue;

import static org.apache.james.queue.api.Mails.defaultMail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Flux;

/**
 * A real full disk under the broker: its store on a small tmpfs, filled to the last byte, then
 * mail queued until the journal needs a new file, which cannot be created (ENOSPC). Every enqueue
 * answers within a second, fails or succeeds; once the space is back the queue takes mail again
 * within a few seconds, without a restart of anything but the broker inside, and every mail whose
 * enqueue returned is delivered exactly once. Root only (it mounts the tmpfs), as CI runs.
 */
class ArtemisBrokerDiskFullTest {
    /**
     * Artemis's two 10 MiB journal files and two 1 MiB bindings files, and room for the two new
     * journal files a restart after the failure needs (with 32 MiB it never started again: a
     * broker stopped on a full disk needs 20 MiB free before it runs again).
     */
    private static final String VOLUME_SIZE = "48m";
    private static final int BODY_SIZE = 60 * 1024;

    @TempDir
    Path temp;

    @Test
    void aJournalThatCannotGrowOnAFullDiskFailsEnqueuesFastAndTheQueueResumesOnceThereIsRoom() throws Exception {
        assumeThat(System.getProperty("user.name")).as("mounting a tmpfs needs root").isEqualTo("root");
        Path store = Files.createDirectories(temp.resolve("store"));
        run("mount", "-t", "tmpfs", "-o", "size=" + VOLUME_SIZE, "tmpfs", store.toString());
        try {
            survivesAFullDisk(store);
        } finally {
            run("umount", "-l", store.toString());
        }
    }

    private void survivesAFullDisk(Path store) throws Exception {
        ArtemisBroker broker = new ArtemisBroker(store);
        ArtemisMailQueueFactory factory = new ArtemisMailQueueFactory(broker, new RawMailQueueItemDecoratorFactory(),
            new RecordingMetricFactory(), new NoopGaugeRegistry());
        try {
            ManageableMailQueue queue = factory.createQueue(MailQueueName.of("spool"));
            Path filler = store.resolve("filler");
            fill(filler);
            System.out.printf("ArtemisBrokerDiskFullTest: disk full, %d bytes free%n", Files.getFileStore(store).getUsableSpace());

            List<String> acknowledged = new ArrayList<>();
            // The enqueues that failed: the journal may still have written one in flight when the
            // disk filled (its sender got an error and will send it again: a duplicate, never a loss).
            List<String> inFlight = new ArrayList<>();
            long slowest = 0;
            int failed = 0;
            int next = 0;
            // 10 MiB of journal is about 170 of these: it then needs a new file.
            while (broker.isActive() && next < 1_000) {
                String name = "mail" + next++;
                long start = System.nanoTime();
                try {
                    queue.enQueue(mail(name));
                    acknowledged.add(name);
                } catch (Exception e) {
                    failed++;
                    inFlight.add(name);
                }
                slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            System.out.printf("ArtemisBrokerDiskFullTest: %d enqueued, %d failed, broker active: %s, slowest enqueue %d ms%n",
                acknowledged.size(), failed, broker.isActive(), slowest);
            assertThat(broker.isActive()).as("the broker stopped on the journal's write error").isFalse();
            assertThat(slowest).as("the slowest enqueue, in ms").isLessThan(1_000);
            long start = System.nanoTime();
            assertThat(failsOrSucceeds(queue, "whileDown")).as("an enqueue while the broker is down").isFalse();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);

            Files.delete(filler);
            long freed = System.nanoTime();
            String resumedWith = null;
            while (resumedWith == null) {
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - freed)).as("seconds until the queue takes mail again").isLessThan(5);
                String name = "after" + next++;
                if (failsOrSucceeds(queue, name)) {
                    resumedWith = name;
                    acknowledged.add(name);
                } else {
                    Thread.sleep(100);
                }
            }
            System.out.printf("ArtemisBrokerDiskFullTest: the queue took mail again %d ms after the space came back%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - freed));

            List<String> delivered = Collections.synchronizedList(new ArrayList<>());
            var consumer = Flux.from(queue.deQueue()).subscribe(item -> {
                try {
                    item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                    delivered.add(item.getMail().getName());
                } catch (Exception e) {
                    // not acknowledged: it comes again
                }
            });
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (delivered.size() < acknowledged.size() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(1_000);
            } finally {
                consumer.dispose();
            }
            assertThat(delivered).as("every mail whose enqueue returned").containsAll(acknowledged).doesNotHaveDuplicates();
            List<String> extra = new ArrayList<>(delivered);
            extra.removeAll(acknowledged);
            assertThat(extra).as("mails delivered whose enqueue failed: at most the one in flight when the disk filled")
                .hasSizeLessThanOrEqualTo(1).isSubsetOf(inFlight);
        } finally {
            factory.close();
            broker.close();
        }
    }

    private static boolean failsOrSucceeds(ManageableMailQueue queue, String name) {
        try {
            queue.enQueue(mail(name));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static Mail mail(String name) throws Exception {
        String received = "Subject: " + name + "\r\n\r\n" + "x".repeat(BODY_SIZE) + "\r\n";
        Mail mail = defaultMail().name(name).build();
        mail.setMessage(new MimeMessageWrapper(MimeMessageInputStreamSource.create(name,
            new ByteArrayInputStream(received.getBytes(StandardCharsets.US_ASCII)))));
        return mail;
    }

    /** Writes the file until the volume has no byte left. */
    private static void fill(Path filler) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            // full to the last 64 KiB
        }
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                out.write(chunk, 0, 1);
                out.flush();
            }
        } catch (IOException e) {
            // full
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
    }
}
