package org.relayguard.server.oldqueue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnector;
import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.activemq.ActiveMQCacheableMailQueue;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.reactivestreams.Subscription;

import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What a mail costs the queue: the Artemis queue of this release against the ActiveMQ Classic
 * queue of the previous ones, side by side in one run, each on its own fresh directory, as the
 * server sets them up (journal synced on every write; the old queue's bodies as fsynced blob
 * files, KahaDB synced). One operation: enqueue the same 3 KB mail, dequeue it, acknowledge it
 * ({@code done(SUCCESS)}), as the spooler does for every mail. Single-threaded, so it measures the
 * latency of one mail's round trip, sync included; the disk matters as much as the CPU.
 *
 * <pre>./perf.sh queue   (or: java -cp … org.openjdk.jmh.Main MailQueueBenchmark)</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class MailQueueBenchmark {
    @Param({"artemis", "activemq"})
    public String queue;

    private Path directory;
    private MimeMessage message;
    private MailQueue mailQueue;
    private Dequeuer dequeuer;
    private AutoCloseable stop;
    private Scheduler dequeueThread;
    private long sequence;

    @Setup(Level.Trial)
    public void start() throws Exception {
        directory = Files.createTempDirectory("relayguard-queue-benchmark-");
        message = new MimeMessage(Session.getDefaultInstance(new Properties()), new ByteArrayInputStream(threeKilobyteMessage()));
        message.saveChanges();
        switch (queue) {
            case "artemis": {
                org.relayguard.server.queue.ArtemisBroker broker = new org.relayguard.server.queue.ArtemisBroker(directory.resolve("var/store/artemis"));
                org.relayguard.server.queue.ArtemisMailQueueFactory factory = new org.relayguard.server.queue.ArtemisMailQueueFactory(broker,
                    new RawMailQueueItemDecoratorFactory(), new RecordingMetricFactory(), new NoopGaugeRegistry());
                mailQueue = factory.createQueue(MailQueueName.of("spool"));
                stop = () -> {
                    factory.close();
                    broker.close();
                };
                break;
            }
            case "activemq": {
                EmbeddedBroker broker = new EmbeddedBroker(new RootFileSystem(directory));
                ActiveMQCacheableMailQueue activeMq = new ActiveMQCacheableMailQueue(broker.connectionFactory(),
                    new RawMailQueueItemDecoratorFactory(), MailQueueName.of("spool"), new RecordingMetricFactory(), new NoopGaugeRegistry());
                mailQueue = activeMq;
                stop = () -> {
                    activeMq.dispose();
                    broker.stop();
                };
                break;
            }
            default:
                throw new IllegalArgumentException("queue: artemis or activemq");
        }
        // One subscriber for the whole run, as the spooler: asks for the next mail once it took one,
        // on a thread of its own (James's JMS queue waits for a mail on the thread that asks for it).
        dequeueThread = Schedulers.newSingle("benchmark-dequeue", true);
        dequeuer = new Dequeuer();
        Flux.from(mailQueue.deQueue()).subscribeOn(dequeueThread).subscribe(dequeuer);
    }

    @Benchmark
    public Mail enqueueDequeueAcknowledge() throws Exception {
        mailQueue.enQueue(MailImpl.builder()
            .name("benchmark-" + sequence++)
            .sender(new MailAddress("a@contoso.com"))
            .addRecipient(new MailAddress("friend@external.example"))
            .mimeMessage(message)
            .build());
        MailQueue.MailQueueItem item = dequeuer.next();
        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
        Mail mail = item.getMail();
        LifecycleUtil.dispose(mail);
        return mail;
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        dequeuer.dispose();
        dequeueThread.dispose();
        stop.close();
        // Artemis's client and in-VM thread pools outlive the broker; the JMH fork would wait for them.
        ActiveMQClient.clearThreadPools();
        InVMConnector.resetThreadPool();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** Hands the dequeued mails to the benchmark thread, one asked for at a time. */
    private static final class Dequeuer extends BaseSubscriber<MailQueue.MailQueueItem> {
        private final BlockingQueue<MailQueue.MailQueueItem> items = new LinkedBlockingQueue<>();

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            request(1);
        }

        @Override
        protected void hookOnNext(MailQueue.MailQueueItem item) {
            items.add(item);
        }

        MailQueue.MailQueueItem next() throws InterruptedException {
            MailQueue.MailQueueItem item = items.poll(1, TimeUnit.MINUTES);
            if (item == null) {
                throw new IllegalStateException("no mail dequeued within a minute");
            }
            request(1);
            return item;
        }
    }

    /** A mail of about 3 KB, as the load runs send: headers Exchange Online adds, a text body. */
    private static byte[] threeKilobyteMessage() throws IOException {
        StringBuilder text = new StringBuilder()
            .append("From: a@contoso.com\r\n")
            .append("To: friend@external.example\r\n")
            .append("Subject: queue benchmark\r\n")
            .append("Message-ID: <benchmark@contoso.com>\r\n")
            .append("X-MS-Exchange-Organization-AuthAs: Internal\r\n")
            .append("X-OriginatorOrg: contoso.com\r\n")
            .append("MIME-Version: 1.0\r\n")
            .append("Content-Type: text/plain; charset=us-ascii\r\n")
            .append("\r\n");
        while (text.length() < 3_000) {
            text.append("The quick brown fox jumps over the lazy dog, and the queue keeps the mail on disk.\r\n");
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
