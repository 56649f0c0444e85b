package org.relayguard.server.oldqueue;

import static org.apache.james.queue.api.Mails.defaultMail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.activemq.ActiveMQCacheableMailQueue;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relayguard.server.queue.ArtemisBroker;
import org.relayguard.server.queue.ArtemisMailQueueFactory;

import reactor.core.publisher.Flux;

/**
 * The upgrade from the previous releases' store: mail written by James's ActiveMQ queue on the
 * {@link EmbeddedBroker} (as {@link DurableMailQueueModule} wired it) moves into the Artemis
 * queues, waiting mail keeps its next delivery, the old store is renamed and never read again,
 * and a store that cannot be moved stops the migration with the old store left in place.
 */
class OldQueueMigrationTest {
    @TempDir
    Path root;

    @Test
    void everyMailMovesIntoTheArtemisQueueOfTheSameNameAndWaitingMailKeepsItsNextDelivery() throws Exception {
        FileSystem fileSystem = new RootFileSystem(root);
        EmbeddedBroker old = new EmbeddedBroker(fileSystem);
        enqueueOld(old, "spool", defaultMail().name("spooled").build(), Duration.ZERO);
        enqueueOld(old, "to-internet", defaultMail().name("due").build(), Duration.ZERO);
        enqueueOld(old, "to-internet", defaultMail().name("waiting").build(), Duration.ofHours(1));
        old.stop();

        try (ArtemisBroker broker = new ArtemisBroker(root.resolve("var/store/artemis"));
             ArtemisMailQueueFactory artemis = new ArtemisMailQueueFactory(broker, new RawMailQueueItemDecoratorFactory(),
                 new RecordingMetricFactory(), new NoopGaugeRegistry())) {
            Instant migrated = Instant.now();
            Map<String, Integer> moved = migration(fileSystem).moveInto(artemis);

            assertThat(moved).containsExactlyInAnyOrderEntriesOf(Map.of("spool", 1, "to-internet", 2));
            ManageableMailQueue toInternet = artemis.getQueue(MailQueueName.of("to-internet")).orElseThrow();
            List<ManageableMailQueue.MailQueueItemView> views = new ArrayList<>();
            toInternet.browse().forEachRemaining(views::add);
            assertThat(views).hasSize(2);
            ManageableMailQueue.MailQueueItemView waiting = views.stream()
                .filter(view -> view.getMail().getName().equals("waiting")).findFirst().orElseThrow();
            assertThat(waiting.getNextDelivery().orElseThrow().toInstant())
                .isBetween(migrated.plus(Duration.ofMinutes(59)), migrated.plus(Duration.ofMinutes(61)));

            MailQueue.MailQueueItem due = Flux.from(toInternet.deQueue()).blockFirst(Duration.ofSeconds(10));
            assertThat(due.getMail().getName()).as("the due mail first, the waiting one held back").isEqualTo("due");
            Mail expected = defaultMail().name("due").build();
            assertThat(due.getMail().getRecipients()).isEqualTo(expected.getRecipients());
            assertThat(due.getMail().getMaybeSender()).isEqualTo(expected.getMaybeSender());
            assertThat(due.getMail().getMessage().getSubject()).isEqualTo(expected.getMessage().getSubject());
            due.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
            MailQueue.MailQueueItem spooled = Flux.from(artemis.getQueue(MailQueueName.of("spool")).orElseThrow().deQueue())
                .blockFirst(Duration.ofSeconds(10));
            assertThat(spooled.getMail().getName()).isEqualTo("spooled");
            spooled.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

            assertThat(root.resolve("var/store/activemq")).doesNotExist();
            assertThat(storeDirectories()).singleElement().asString().startsWith("activemq.migrated-");
            assertThat(migration(fileSystem).moveInto(artemis)).as("a second start reads nothing again").isEmpty();
            assertThat(toInternet.getSize()).isEqualTo(1);
        }
    }

    @Test
    void aMailWhoseBodyIsGoneStopsTheMigrationAndLeavesTheOldStoreInPlace() throws Exception {
        FileSystem fileSystem = new RootFileSystem(root);
        EmbeddedBroker old = new EmbeddedBroker(fileSystem);
        enqueueOld(old, "to-internet", defaultMail().name("bodiless").build(), Duration.ZERO);
        old.stop();
        try (Stream<Path> bodies = Files.walk(root.resolve("var/store/activemq/blob-transfer"))) {
            for (Path body : bodies.filter(Files::isRegularFile).collect(Collectors.toList())) {
                Files.delete(body);
            }
        }

        try (ArtemisBroker broker = new ArtemisBroker(root.resolve("var/store/artemis"));
             ArtemisMailQueueFactory artemis = new ArtemisMailQueueFactory(broker, new RawMailQueueItemDecoratorFactory(),
                 new RecordingMetricFactory(), new NoopGaugeRegistry())) {
            assertThatThrownBy(() -> migration(fileSystem).moveInto(artemis))
                .isInstanceOf(OldQueueMigration.MigrationFailed.class)
                .hasMessageContaining("Mail queue migration from var/store/activemq")
                .hasMessageContaining("James does not start");
        }
        assertThat(root.resolve("var/store/activemq")).isDirectory();
        assertThat(storeDirectories()).noneMatch(name -> name.startsWith("activemq.migrated-"));
    }

    private static OldQueueMigration migration(FileSystem fileSystem) {
        return new OldQueueMigration(fileSystem, new RecordingMetricFactory(), Clock.systemUTC());
    }

    /** As the previous release wrote it: James's ActiveMQ queue, bodies as blob files. */
    private static void enqueueOld(EmbeddedBroker old, String queue, Mail mail, Duration delay) throws Exception {
        ActiveMQCacheableMailQueue writer = new ActiveMQCacheableMailQueue(old.connectionFactory(), new RawMailQueueItemDecoratorFactory(),
            MailQueueName.of(queue), new RecordingMetricFactory(), new NoopGaugeRegistry());
        try {
            writer.enQueue(mail, delay);
        } finally {
            writer.dispose();
        }
    }

    private List<String> storeDirectories() throws IOException {
        try (Stream<Path> entries = Files.list(root.resolve("var/store"))) {
            return entries.map(path -> path.getFileName().toString()).filter(name -> name.startsWith("activemq")).collect(Collectors.toList());
        }
    }
}
