package org.relayguard.server.queue;

import static org.apache.james.queue.api.Mails.defaultMail;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.apache.james.queue.api.DelayedManageableMailQueueContract;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueMetricContract;
import org.apache.james.queue.api.MailQueueMetricExtension;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import reactor.core.publisher.Flux;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.common.collect.Iterators;

/**
 * James's own mail queue contracts (james-server-queue-api 3.8.1), as James's ActiveMQ queue
 * runs them, against the Artemis queue; none is skipped. The priority contracts are not run: the
 * server's queues deliver in order and James's mailets set no priority.
 */
class ArtemisMailQueueTest implements DelayedManageableMailQueueContract, MailQueueMetricContract {
    @TempDir
    Path store;

    private ArtemisBroker broker;
    private ArtemisMailQueueFactory factory;
    private ManageableMailQueue queue;

    @BeforeEach
    void setUp(MailQueueMetricExtension.MailQueueMetricTestSystem metrics) throws Exception {
        broker = new ArtemisBroker(store);
        factory = new ArtemisMailQueueFactory(broker, new RawMailQueueItemDecoratorFactory(),
            metrics.getMetricFactory(), metrics.getSpyGaugeRegistry());
        queue = factory.createQueue(MailQueueName.of("spool"));
    }

    @AfterEach
    void tearDown() throws Exception {
        factory.close();
        broker.close();
    }

    @Override
    public MailQueue getMailQueue() {
        return queue;
    }

    @Override
    public ManageableMailQueue getManageableMailQueue() {
        return queue;
    }

    /**
     * The broker answers a send before it files the message in the queue: without waiting for the
     * filing, about one listing in twenty right after an enqueue missed the mail (seen as flaky
     * browse contracts under load).
     */
    @Test
    void everyMailShouldBeListedAndCountedRightAfterItsEnqueue() throws Exception {
        for (int i = 1; i <= 100; i++) {
            queue.enQueue(defaultMail().name("mail" + i).build());

            assertThat(queue.getSize()).as("size after enqueue %s", i).isEqualTo(i);
            assertThat(Iterators.size(queue.browse())).as("listing after enqueue %s", i).isEqualTo(i);
        }
    }

    @Test
    void sizeShouldBeZeroWhenAFlushedMailIsDelivered() throws Exception {
        queue.enQueue(defaultMail().name("waiting").build(), Duration.ofHours(1));

        assertThat(queue.flush()).isEqualTo(1);
        Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10)).done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

        assertThat(queue.getSize()).isZero();
    }

    /**
     * A delivery mailet retries a mail by queuing the very mail it was handed, with a delay, then
     * calling done: a stop between the two must leave the mail queued once, not twice (RestartTest
     * once saw a mail delivered twice after a graceful restart in that window).
     */
    @Test
    void aRetryQueuedBeforeAStopThatCameBeforeItsDoneLeavesTheMailQueuedOnce() throws Exception {
        queue.enQueue(defaultMail().name("retried").build());
        MailQueue.MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));

        queue.enQueue(item.getMail(), Duration.ofHours(1));
        restart();

        assertThat(queue.getSize()).as("the original entry only").isEqualTo(1);
        assertThat(Iterators.size(queue.browse())).isEqualTo(1);
        MailQueue.MailQueueItem again = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
        assertThat(again.getMail().getName()).isEqualTo("retried");
    }

    @Test
    void aRetryQueuedBeforeDoneReplacesTheMailOnceDone() throws Exception {
        queue.enQueue(defaultMail().name("retried").build());
        MailQueue.MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));

        queue.enQueue(item.getMail(), Duration.ofHours(1));
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        restart();

        assertThat(Iterators.size(queue.browse())).as("the retry, waiting").isEqualTo(1);
        assertThat(queue.browse().next().getNextDelivery()).hasValueSatisfying(next ->
            assertThat(next.toInstant()).isAfter(java.time.Instant.now().plus(Duration.ofMinutes(50))));
        assertThat(queue.flush()).isEqualTo(1);
        assertThat(Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10)).getMail().getName()).isEqualTo("retried");
    }

    @Test
    void aRetryQueuedBeforeAFailedDeliveryIsTheOnlyNewEntry() throws Exception {
        queue.enQueue(defaultMail().name("retried").build());
        MailQueue.MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));

        queue.enQueue(item.getMail(), Duration.ofHours(1));
        item.done(MailQueue.MailQueueItem.CompletionStatus.RETRY);

        assertThat(Iterators.size(queue.browse())).isEqualTo(1);
        assertThat(queue.getSize()).isEqualTo(1);
    }

    /**
     * The spooler's pipeline queues the mail it took from the spool to a route's queue, then the
     * spooler calls done: the route's entry is written with the spool's acknowledgement, in one
     * transaction. A stop (or a crash) before the done leaves the mail in the spool only, to be
     * processed again, never in neither queue; once done, it is in the route's queue only.
     */
    @Test
    void aMailQueuedToAnotherQueueBeforeItsDoneIsInExactlyOneQueueAcrossAStop() throws Exception {
        queue.enQueue(defaultMail().name("routed").build());
        MailQueue.MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));

        factory.createQueue(MailQueueName.of("to-route")).enQueue(item.getMail());
        restart();

        ManageableMailQueue route = factory.createQueue(MailQueueName.of("to-route"));
        assertThat(route.getSize()).as("nothing in the route before the spool's done").isZero();
        assertThat(queue.getSize()).as("still in the spool").isEqualTo(1);
        MailQueue.MailQueueItem again = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
        route.enQueue(again.getMail());
        again.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        restart();

        route = factory.createQueue(MailQueueName.of("to-route"));
        assertThat(queue.getSize()).as("gone from the spool").isZero();
        assertThat(route.getSize()).as("in the route once").isEqualTo(1);
        assertThat(Flux.from(route.deQueue()).blockFirst(Duration.ofSeconds(10)).getMail().getName()).isEqualTo("routed");
    }

    /**
     * Mails done at the same moment share a commit (group commit): each done still returns only
     * once its own acknowledgement and the entries that go with it are committed.
     */
    @Test
    void manyMailsDoneAtOnceAreEachAcknowledgedAndRoutedOnceTheirDoneReturns() throws Exception {
        int mails = 200;
        for (int i = 0; i < mails; i++) {
            queue.enQueue(defaultMail().name("mail" + i).build());
        }
        ManageableMailQueue route = factory.createQueue(MailQueueName.of("to-route"));
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(20);
        try {
            java.util.List<MailQueue.MailQueueItem> items = Flux.from(queue.deQueue()).take(mails).collectList().block(Duration.ofSeconds(30));
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (MailQueue.MailQueueItem item : items) {
                done.add(threads.submit(() -> {
                    route.enQueue(item.getMail());
                    item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> each : done) {
                each.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        restart();

        assertThat(queue.getSize()).as("the spool, after a stop").isZero();
        assertThat(factory.createQueue(MailQueueName.of("to-route")).getSize()).as("the route, after a stop").isEqualTo(mails);
    }

    /**
     * Group commit under a slow journal: the mails done while a commit waits for its sync all go
     * into the next commit, one commit for them all, rather than each waiting to enter the session
     * that commit holds and committing a few at a time. The journal is held up here by taking its
     * storage manager's write lock, as a slow disk would (every journal write waits for it).
     */
    @Test
    void mailsDoneWhileACommitWaitsForTheJournalAreAllCommittedByTheNextCommit() throws Exception {
        int mails = 20;
        for (int i = 0; i < mails; i++) {
            queue.enQueue(defaultMail().name("mail" + i).build());
        }
        java.util.List<MailQueue.MailQueueItem> items = Flux.from(queue.deQueue()).take(mails).collectList().block(Duration.ofSeconds(30));
        long commitsBefore = ((ArtemisMailQueue) queue).consumerCommits();
        java.util.concurrent.locks.ReentrantReadWriteLock journal = storageManagerLock();
        java.util.List<Thread> deliverers = new java.util.ArrayList<>();
        java.util.List<Exception> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        journal.writeLock().lock();
        try {
            for (MailQueue.MailQueueItem item : items) {
                Thread deliverer = new Thread(() -> {
                    try {
                        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                    } catch (Exception e) {
                        failures.add(e);
                    }
                });
                deliverers.add(deliverer);
                deliverer.start();
            }
            // One done commits and waits for the journal; the others wait too, for the commit.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            int stillFor = 0;
            while (stillFor < 3) {
                assertThat(System.nanoTime()).as("every done waits").isLessThan(deadline);
                Thread.sleep(50);
                stillFor = deliverers.stream().noneMatch(thread -> thread.getState() == Thread.State.RUNNABLE) ? stillFor + 1 : 0;
            }
        } finally {
            journal.writeLock().unlock();
        }
        for (Thread deliverer : deliverers) {
            deliverer.join(30_000);
        }

        assertThat(failures).isEmpty();
        assertThat(((ArtemisMailQueue) queue).consumerCommits() - commitsBefore)
            .as("the commit the journal held up, then one for the %s mails done meanwhile", mails - 1)
            .isEqualTo(2);
        assertThat(queue.getSize()).isZero();
    }

    private java.util.concurrent.locks.ReentrantReadWriteLock storageManagerLock() throws ReflectiveOperationException {
        java.lang.reflect.Field lock = org.apache.activemq.artemis.core.persistence.impl.journal.AbstractJournalStorageManager.class
            .getDeclaredField("storageManagerLock");
        lock.setAccessible(true);
        return (java.util.concurrent.locks.ReentrantReadWriteLock) lock.get(broker.server().getStorageManager());
    }

    /**
     * A write error in the journal (a full disk) makes Artemis stop its server: the journal calls
     * its storage manager's {@code criticalError}, whose {@code IOCriticalErrorListener} stops the
     * server on another thread, exactly as below. While it is down an enqueue fails at once (an
     * SMTP session answers 451 rather than hanging); the broker is then started again in the JVM
     * without anyone's help, every mail acknowledged before comes out exactly once (those handed
     * out and not done included), the consumer that was running resumes, and new mail is taken.
     */
    @Test
    void aBrokerStoppedByAJournalWriteErrorIsRestartedAndNothingIsLostOrDoubled() throws Exception {
        for (int i = 1; i <= 10; i++) {
            queue.enQueue(defaultMail().name("before" + i).build());
        }
        java.util.concurrent.BlockingQueue<MailQueue.MailQueueItem> handedOut = new java.util.concurrent.LinkedBlockingQueue<>();
        reactor.core.Disposable consumer = Flux.from(queue.deQueue()).limitRate(1).subscribe(handedOut::add);
        java.util.List<String> delivered = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try {
            for (int i = 0; i < 3; i++) {
                deliver(handedOut.poll(10, java.util.concurrent.TimeUnit.SECONDS), delivered);
            }

            java.util.List<Long> enqueueMillisWhileDown = new java.util.ArrayList<>();
            java.util.List<String> enqueuedWhileDown = new java.util.ArrayList<>();
            // Holding the broker keeps its watchdog from starting it again while we look at it down.
            synchronized (broker) {
                broker.server().getStorageManager().criticalError(new java.io.IOException("No space left on device"));
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
                while (broker.server().getState() != org.apache.activemq.artemis.core.server.ActiveMQServer.SERVER_STATE.STOPPED) {
                    assertThat(System.nanoTime()).as("the broker stops after the I/O error").isLessThan(deadline);
                    Thread.sleep(10);
                }
                for (int i = 1; i <= 3; i++) {
                    long start = System.nanoTime();
                    try {
                        queue.enQueue(defaultMail().name("whileDown" + i).build());
                        enqueuedWhileDown.add("whileDown" + i);
                    } catch (Exception e) {
                        // Refused: the SMTP session answers 451 and the client sends it again later.
                    }
                    enqueueMillisWhileDown.add(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
            }
            assertThat(enqueueMillisWhileDown).as("an enqueue while the broker is down answers within a second")
                .allSatisfy(millis -> assertThat(millis).isLessThan(1_000));
            assertThat(enqueuedWhileDown).as("the broker is down: nothing can be filed").isEmpty();

            long stoppedAt = System.nanoTime();
            long deadline = stoppedAt + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (!broker.isActive()) {
                assertThat(System.nanoTime()).as("the broker runs again within 10 s").isLessThan(deadline);
                Thread.sleep(10);
            }
            System.out.printf("ArtemisMailQueueTest: the broker ran again %d ms after it stopped%n",
                java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
            queue.enQueue(defaultMail().name("after").build());

            long drainUntil = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < drainUntil) {
                MailQueue.MailQueueItem item = handedOut.poll(delivered.size() < 11 ? 1_000 : 1_500, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (item != null) {
                    deliver(item, delivered);
                } else if (delivered.size() >= 11) {
                    break;
                }
            }
        } finally {
            consumer.dispose();
        }

        java.util.List<String> expected = new java.util.ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            expected.add("before" + i);
        }
        expected.add("after");
        assertThat(delivered).as("every acknowledged mail once, by the consumer that ran before the stop")
            .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(queue.getSize()).isZero();
    }

    /**
     * A retry of a large mail that no mailet changed names the file its body is in rather than
     * writing it again: on a full disk that write failed, the mail came back at once, and
     * failed again (DiskFullTest's log: a few hundred failed retries a second).
     */
    @Test
    void aRetryOfAnUnchangedLargeMailWritesNoNewBodyAndKeepsItsBody() throws Exception {
        String received = "Subject: large\r\n\r\n" + "x".repeat(MailBodies.INLINE_LIMIT) + "\r\n";
        org.apache.mailet.Mail mail = defaultMail().name("large").build();
        mail.setMessage(new org.apache.james.server.core.MimeMessageWrapper(
            org.apache.james.server.core.MimeMessageInputStreamSource.create("received",
                new java.io.ByteArrayInputStream(received.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))));
        queue.enQueue(mail);
        Path mails = store.resolve("mails");
        java.util.List<Path> before = bodyFiles(mails);
        assertThat(before).hasSize(1);

        MailQueue.MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
        queue.enQueue(item.getMail(), Duration.ofHours(1));
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

        assertThat(bodyFiles(mails)).as("the same file, not a copy").isEqualTo(before);
        assertThat(queue.flush()).isEqualTo(1);
        MailQueue.MailQueueItem again = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        again.getMail().getMessage().writeTo(out);
        assertThat(out.toString(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(received);
        again.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        assertThat(bodyFiles(mails)).as("delivered: its body goes").isEmpty();
    }

    private static java.util.List<Path> bodyFiles(Path directory) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(directory)) {
            return files.sorted().collect(java.util.stream.Collectors.toList());
        }
    }

    /**
     * Delivered once its done is taken; a done on the session of a broker run that stopped fails
     * (the mail is not acknowledged and comes out again, as for a crash of James).
     */
    private static void deliver(MailQueue.MailQueueItem item, java.util.List<String> delivered) {
        try {
            item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
            delivered.add(item.getMail().getName());
        } catch (Exception e) {
            // Not acknowledged: it is in the queue again.
        }
    }

    private void restart() throws Exception {
        factory.close();
        broker.close();
        broker = new ArtemisBroker(store);
        factory = new ArtemisMailQueueFactory(broker, new RawMailQueueItemDecoratorFactory(),
            new org.apache.james.metrics.tests.RecordingMetricFactory(), new org.apache.james.metrics.api.NoopGaugeRegistry());
        queue = factory.createQueue(MailQueueName.of("spool"));
    }
}
