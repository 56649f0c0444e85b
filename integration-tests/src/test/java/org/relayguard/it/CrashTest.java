package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;

/**
 * SPEC "nothing accepted is lost", the hard way: {@code kill -9} of the server run.sh starts while
 * several SMTP clients send to it at once, then a restart. Every mail that got {@code 250} must end
 * where SPEC puts it — on its route's next hop, or in the quarantine — at least once: SMTP delivery
 * is at least once, so a crash may duplicate a mail (duplicates are counted and reported), never
 * drop one. Enforce mode, so that a denied mail that lost its SMTP session's tenant on the way
 * through the queue would show as relayed.
 */
class CrashTest {
    private static final int CLIENTS = 4;
    private static final int ACKNOWLEDGED_BEFORE_THE_KILL = 300;
    private static final int MAILS_PER_CONNECTION = 25;
    private static final List<TransportMail> MIX = List.of(TransportMail.OUTBOUND, TransportMail.INBOUND, TransportMail.FOREIGN_BY_XOORG);

    @Test
    void everyMailAcknowledgedBeforeAKillMinus9EndsWhereSpecSaysAfterTheRestart() throws Exception {
        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().nextHops(hops).enforce(true).start()) {
            Map<String, TransportMail> acknowledged = new ConcurrentHashMap<>();
            Set<String> attempted = ConcurrentHashMap.newKeySet();
            AtomicInteger cutOff = new AtomicInteger();

            burstAndKill(james, acknowledged, attempted, cutOff);
            Set<String> atTheNextHopsBeforeTheRestart = idsAt(hops);

            james.start();
            int expectedRelayed = acknowledged.values().stream().mapToInt(kind -> kind.expectedRelayed(true)).sum();
            Outcomes outcomes = Outcomes.await(james, hops, expectedRelayed, TransportMail.ID_HEADER, Duration.ofMinutes(3));

            SoftAssertions softly = new SoftAssertions();
            int duplicates = 0;
            int deliveredAfterTheRestart = 0;
            for (Map.Entry<String, TransportMail> mail : acknowledged.entrySet()) {
                String id = mail.getKey();
                TransportMail kind = mail.getValue();
                boolean toM365 = kind.route == TransportMail.Route.M365;
                int onRoute = toM365 ? outcomes.relayedToM365(id) : outcomes.relayed(id);
                int offRoute = toM365 ? outcomes.relayed(id) : outcomes.relayedToM365(id);
                int quarantined = outcomes.quarantined(id);
                if (kind.denied) {
                    softly.assertThat(quarantined).as("%s (%s) quarantined", id, kind).isPositive();
                    softly.assertThat(onRoute + offRoute).as("%s (%s) relayed although denied", id, kind).isZero();
                    duplicates += Math.max(0, quarantined - 1);
                } else {
                    softly.assertThat(onRoute).as("%s (%s) on its next hop", id, kind).isPositive();
                    softly.assertThat(offRoute).as("%s (%s) on the other next hop", id, kind).isZero();
                    softly.assertThat(quarantined).as("%s (%s) quarantined", id, kind).isZero();
                    duplicates += Math.max(0, onRoute - 1);
                    if (!atTheNextHopsBeforeTheRestart.contains(id)) {
                        deliveredAfterTheRestart++;
                    }
                }
            }
            List<String> unknown = new ArrayList<>();
            for (SmtpSink hop : List.of(hops.internet(), hops.m365())) {
                hop.received().stream()
                    .filter(mail -> !attempted.contains(mail.header(TransportMail.ID_HEADER)))
                    .forEach(mail -> unknown.add("MAIL FROM:<" + mail.mailFrom + "> RCPT TO:" + mail.rcptTo + "\n" + mail.message));
            }
            softly.assertThat(unknown).as("mails at the next hops that were never sent").isEmpty();
            softly.assertThat(outcomes.errorRepositorySize()).as("error repository").isZero();
            softly.assertThat(deliveredAfterTheRestart)
                .as("acknowledged mails still queued at the kill, delivered only after the restart: the kill hit mail in flight")
                .isPositive();
            System.out.printf("kill -9 during a burst from %d clients: %d mails acknowledged with 250 (%d sent, %d sessions cut by the kill), "
                    + "%d delivered only after the restart, %d duplicates%n",
                CLIENTS, acknowledged.size(), attempted.size(), cutOff.get(), deliveredAfterTheRestart, duplicates);
            softly.assertAll();
        }
    }

    /** Several clients send until enough mails are acknowledged, then James is killed under them. */
    private static void burstAndKill(JamesServer james, Map<String, TransportMail> acknowledged, Set<String> attempted,
                                     AtomicInteger cutOff) throws InterruptedException {
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger connections = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            clients.submit(() -> {
                while (!killed.get()) {
                    try {
                        sendOneConnection(james, connections.getAndIncrement(), acknowledged, attempted, killed);
                    } catch (IOException e) {
                        if (killed.get()) {
                            cutOff.incrementAndGet();
                        }
                    }
                }
            });
        }
        while (acknowledged.size() < ACKNOWLEDGED_BEFORE_THE_KILL) {
            Thread.sleep(5);
        }
        james.kill();
        killed.set(true);
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * One connection, from the source of its kind of mail, with mails of that kind until its quota
     * or the kill, as a server sending several mails over one session does.
     */
    private static void sendOneConnection(JamesServer james, int n, Map<String, TransportMail> acknowledged, Set<String> attempted,
                                          AtomicBoolean killed) throws IOException {
        TransportMail kind = MIX.get(n % MIX.size());
        try (SmtpClient client = kind.connect(james)) {
            client.ehlo();
            for (int i = 0; i < MAILS_PER_CONNECTION && !killed.get(); i++) {
                String id = "crash-" + kind.name().toLowerCase() + "-" + n + "-" + i;
                attempted.add(id);
                SmtpClient.Reply reply = client.transaction(kind.sender, kind.mailParameters, List.of(kind.recipient), kind.message(id));
                if (reply.code == 250) {
                    acknowledged.put(id, kind);
                }
            }
        }
    }

    private static Set<String> idsAt(NextHops hops) {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        for (SmtpSink hop : List.of(hops.internet(), hops.m365())) {
            hop.received().forEach(mail -> ids.add(mail.header(TransportMail.ID_HEADER)));
        }
        return ids;
    }
}
