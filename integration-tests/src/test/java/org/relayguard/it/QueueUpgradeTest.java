package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.process.Pause;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Upgrade without loss (issue 20): a server root whose mail waits in the previous releases'
 * ActiveMQ Classic store ({@code var/store/activemq}) starts on this release, which moves that
 * mail into its Artemis queues before anything dequeues. The old store is written by the previous
 * release's queue itself ({@code -Drelayguard.queue=activemq}): with both next hops down, mail on
 * both routes waits for a one-hour retry, more mail waits for the shipped 5-second one. On the
 * new server, with the next hops back, the due mail is delivered, the waiting mail is listed by
 * webadmin with its next delivery still an hour away and is delivered after a flush; every mail
 * exactly once on its own route; the old store renamed and not read again. An old store that
 * cannot be moved (a queued mail's body file gone) stops James, naming the migration, and stays.
 */
class QueueUpgradeTest {
    private static final int WAITING_PER_ROUTE = 5;
    private static final int DUE_PER_ROUTE = 5;
    private static final String INTERNET_QUEUE = "to-internet";
    private static final String M365_QUEUE = "to-m365-contoso";
    private static final String SHIPPED_RETRIES = "<delayTime>5000, 60000, 300000, 4*900000, 119*3600000</delayTime>";
    private static final String HOURLY_RETRIES = "<delayTime>3600000</delayTime>";

    @Test
    void mailQueuedByThePreviousReleaseIsMovedOnTheFirstStartAndDeliveredExactlyOnce() throws Exception {
        try (NextHops hops = NextHops.down()) {
            Path root;
            List<String> waiting = new ArrayList<>();
            List<String> due = new ArrayList<>();
            try (JamesServer previous = JamesServer.builder().nextHops(hops).jvmArgument("-Drelayguard.queue=activemq").prepare()) {
                root = previous.root();
                Path conf = previous.conf("mailetcontainer.xml");
                String shipped = Files.readString(conf);
                Files.writeString(conf, shipped.replace(SHIPPED_RETRIES, HOURLY_RETRIES));
                assertThat(Files.readString(conf)).isNotEqualTo(shipped);

                previous.start();
                waiting.addAll(send(previous, "waiting", WAITING_PER_ROUTE));
                Instant inAnHour = Instant.now().plus(Duration.ofMinutes(50));
                awaitQueued(previous.webAdmin(), WAITING_PER_ROUTE, next -> next.isAfter(inAnHour));

                previous.stop();
                Files.writeString(conf, shipped);
                previous.start();
                Instant sent = Instant.now();
                due.addAll(send(previous, "due", DUE_PER_ROUTE));
                awaitQueued(previous.webAdmin(), WAITING_PER_ROUTE + DUE_PER_ROUTE, next -> next.isAfter(sent));
                previous.stop();
            }
            assertThat(root.resolve("var/store/activemq")).as("the previous release's store").isDirectory();
            assertThat(root.resolve("var/store/artemis")).doesNotExist();

            hops.up();
            try (JamesServer james = JamesServer.builder().root(root).nextHops(hops).start()) {
                assertThat(james.logText())
                    .contains("Mail queue migration: queue " + INTERNET_QUEUE + ": " + (WAITING_PER_ROUTE + DUE_PER_ROUTE) + " mails moved")
                    .contains("Mail queue migration: queue " + M365_QUEUE + ": " + (WAITING_PER_ROUTE + DUE_PER_ROUTE) + " mails moved");
                assertThat(root.resolve("var/store/activemq")).as("renamed, never read twice").doesNotExist();
                assertThat(storeDirectories(root)).anyMatch(name -> name.startsWith("activemq.migrated-"));

                awaitDelivered(hops, due, Duration.ofMinutes(3));
                awaitSize(james.webAdmin(), WAITING_PER_ROUTE);
                Instant inAnHour = Instant.now().plus(Duration.ofMinutes(50));
                for (String queue : List.of(INTERNET_QUEUE, M365_QUEUE)) {
                    List<JsonNode> queued = james.webAdmin().queuedMails(queue);
                    assertThat(queued).as("%s after the due mail went", queue).hasSize(WAITING_PER_ROUTE)
                        .allSatisfy(mail -> assertThat(nextDelivery(mail)).as("nextDelivery of %s", mail)
                            .hasValueSatisfying(next -> assertThat(next).isAfter(inAnHour)));
                }
                assertThat(delivered(hops)).as("nothing waiting went early").doesNotContainAnyElementsOf(waiting);

                james.webAdmin().flushQueue(INTERNET_QUEUE);
                james.webAdmin().flushQueue(M365_QUEUE);
                List<String> all = new ArrayList<>(waiting);
                all.addAll(due);
                Outcomes outcomes = Outcomes.await(james, hops, all.size(), TransportMail.ID_HEADER, Duration.ofMinutes(3));
                for (String id : all) {
                    boolean inbound = id.startsWith("inbound");
                    assertThat(inbound ? outcomes.relayedToM365(id) : outcomes.relayed(id))
                        .as("%s delivered once on its route (%s)", id, outcomes).isEqualTo(1);
                    assertThat(inbound ? outcomes.relayed(id) : outcomes.relayedToM365(id)).as("%s on the other route", id).isZero();
                }
                assertThat(outcomes.errorRepositorySize()).isZero();

                james.restart();
                assertThat(james.logText()).as("the second start moves nothing").doesNotContain("Mail queue migration");
            }
        }
    }

    @Test
    void anOldStoreThatCannotBeMovedStopsJamesAndStaysInPlace() throws Exception {
        try (NextHops hops = NextHops.down()) {
            Path root;
            try (JamesServer previous = JamesServer.builder().nextHops(hops).jvmArgument("-Drelayguard.queue=activemq").start()) {
                root = previous.root();
                assertThat(TransportMail.OUTBOUND.send(previous, "bodiless").code).isEqualTo(250);
                awaitQueuedOn(previous.webAdmin(), INTERNET_QUEUE, 1);
            }
            // The body of the queued mail lost (what a power cut did to the previous release's unsynced body files).
            try (Stream<Path> files = Files.walk(root.resolve("var/store/activemq/blob-transfer"))) {
                for (Path body : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                    Files.delete(body);
                }
            }

            try (JamesServer james = JamesServer.builder().root(root).nextHops(hops).prepare()) {
                String log = james.startExpectingFailure();
                assertThat(log)
                    .contains("Mail queue migration from var/store/activemq (previous release) to the Artemis queues failed")
                    .contains("Fatal error while starting James");
                assertThat(james.isRunning()).isFalse();
            }
            assertThat(root.resolve("var/store/activemq")).as("left in place").isDirectory();
            assertThat(storeDirectories(root)).noneMatch(name -> name.startsWith("activemq.migrated-"));
        }
    }

    private static void awaitQueuedOn(WebAdmin webAdmin, String queue, int count) {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
        while (webAdmin.queueSize("spool") != 0 || webAdmin.queueSize(queue) != count) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not queued in " + queue);
            }
            Pause.sleep(200);
        }
    }

    /** Mails on both routes: an internet one (to-internet) and one for our users (to-m365-contoso) at a time. */
    private static List<String> send(JamesServer james, String prefix, int perRoute) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < perRoute; i++) {
            for (TransportMail kind : List.of(TransportMail.OUTBOUND, TransportMail.INBOUND)) {
                String id = kind.name().toLowerCase() + "-" + prefix + "-" + i;
                assertThat(kind.send(james, id).code).isEqualTo(250);
                ids.add(id);
            }
        }
        return ids;
    }

    /** Each delivery queue holds {@code count} mails, each after a failed attempt whose next delivery matches. */
    private static void awaitQueued(WebAdmin webAdmin, int count, Predicate<Instant> nextDeliveryMatches) {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (true) {
            Map<String, List<JsonNode>> queued = Map.of(
                INTERNET_QUEUE, webAdmin.queuedMails(INTERNET_QUEUE),
                M365_QUEUE, webAdmin.queuedMails(M365_QUEUE));
            boolean ready = webAdmin.queueSize("spool") == 0 && queued.values().stream()
                .allMatch(mails -> mails.size() == count
                    && mails.stream().allMatch(mail -> nextDelivery(mail).map(nextDeliveryMatches::test).orElse(false)));
            if (ready) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("mails not waiting in the delivery queues: " + queued);
            }
            Pause.sleep(300);
        }
    }

    /** The delivery of the last due mail is acknowledged a moment after the next hop has it. */
    private static void awaitSize(WebAdmin webAdmin, int size) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while ((webAdmin.queueSize(INTERNET_QUEUE) != size || webAdmin.queueSize(M365_QUEUE) != size) && Instant.now().isBefore(deadline)) {
            Pause.sleep(200);
        }
    }

    private static Optional<Instant> nextDelivery(JsonNode mail) {
        JsonNode next = mail.get("nextDelivery");
        return next == null || next.isNull() ? Optional.empty() : Optional.of(Instant.parse(next.asText().replaceAll("\\[.*]$", "")));
    }

    private static Set<String> delivered(NextHops hops) {
        return Stream.concat(hops.internet().received().stream(), hops.m365().received().stream())
            .map(mail -> mail.header(TransportMail.ID_HEADER))
            .collect(Collectors.toCollection(TreeSet::new));
    }

    private static void awaitDelivered(NextHops hops, List<String> ids, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (!delivered(hops).containsAll(ids)) {
            if (Instant.now().isAfter(deadline)) {
                List<String> missing = new ArrayList<>(ids);
                missing.removeAll(delivered(hops));
                throw new AssertionError(missing.size() + " of " + ids.size() + " mails not delivered, e.g. " + missing.get(0));
            }
            Pause.sleep(200);
        }
    }

    private static List<String> storeDirectories(Path root) throws Exception {
        try (Stream<Path> entries = Files.list(root.resolve("var/store"))) {
            return entries.map(path -> path.getFileName().toString()).collect(Collectors.toList());
        }
    }
}
