package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.load.PlainPipeline;

/**
 * Real-world input: every message of the sisimai "set-of-emails" corpus (bounces, feedback reports
 * and ordinary mail from about 75 mail systems, many of them malformed), sent once from a Microsoft 365
 * host and once from an internet host through the shipped hardened gateway in enforce mode, and on
 * the Relay Guard server once more from the Microsoft 365 host by CHUNKING (BDAT, the file's own line
 * ends, {@link #bdatBytes}), as Exchange Online sends mail with bare line feeds. Each copy
 * must end exactly where SPEC's rules, applied to its own headers ({@link HardenedRules}), put it:
 * relayed and not quarantined, or quarantined and not relayed; and James must still serve mail
 * afterwards.
 *
 * <p>The error repository must stay empty on the Relay Guard server. James's stock memory server
 * cannot relay 7 malformed bounces ({@link CorpusMessage#isReencodableByJames()}: its queue
 * re-encodes them with JavaMail, which throws), so there it must hold exactly those; the second
 * test shows that the memory server without Relay Guard parks the same ones, and that the Relay
 * Guard server, whose queue stores each message as received, relays them unchanged.</p>
 *
 * <p>The corpus is in this repository, {@code integration-tests/corpus/sisimai-set-of-emails}, with its
 * LICENSE (BSD-2) and README beside the messages; the pom gives its path as {@code relayguard.corpus.dir}.
 * Its files are kept byte for byte (no Maven step copies them, {@code .gitattributes} keeps git from
 * converting their line ends). Without it these tests fail: they never pass by skipping.</p>
 *
 * <p>What the client does to a file is what a real SMTP client does: line ends become CRLF (the
 * {@code mac} files have bare CRs, {@code bsd} LF, {@code dos} CRLF), a last line without line end is
 * ended, leading dots are doubled; every other byte, 8-bit ones and mbox {@code From } lines
 * included, goes as it is. One field is put in front, {@value CorpusMessage#ID_HEADER}, to find each
 * copy again. The envelope sender is the message's Return-Path (else From) address, as the relaying
 * server would give it.</p>
 *
 * <p>The gateway is configured, as its operator would, for the tenant the corpus's own Microsoft 365
 * messages come from: {@code kyotoneko.onmicrosoft.com} and {@code nekonyaan.example.com} are added
 * to {@code tenantOrgs}, and {@code nekonyaan.example.com} to the DomainList through webadmin.</p>
 */
class CorpusTest {
    static final String CORPUS_PROPERTY = "relayguard.corpus.dir";
    static final List<String> DIRECTORIES = List.of("bsd", "dos", "mac", "err", "not");
    static final int MINIMUM_MESSAGES = 800;

    private static final String SHIPPED_TENANT_ORGS = "<!ENTITY tenantOrgs \"contoso.onmicrosoft.com, contoso.com\">";
    private static final Set<String> TENANT_ORGS = Set.of("contoso.onmicrosoft.com", "contoso.com", "kyotoneko.onmicrosoft.com", "nekonyaan.example.com");
    private static final Set<String> OUR_DOMAINS = Set.of("contoso.com", "contoso.onmicrosoft.com", "nekonyaan.example.com");
    private static final String OUTBOUND_RECIPIENT = "someone@external.example";
    private static final String INBOUND_RECIPIENT = "kijitora@contoso.com";
    private static final int CLIENTS = 4;
    /** BDAT chunks cut the corpus's messages anywhere, mid-line and between CR and LF. */
    private static final int BDAT_CHUNK = 1000;

    /** Where a copy ends. */
    enum Place {
        RELAYED, QUARANTINED, ERROR_REPOSITORY
    }

    /** One copy sent: which file, from where, and where it must end. */
    private static final class Copy {
        final String id;
        final CorpusMessage message;
        final boolean fromM365;
        final String envelopeSender;
        final Place expected;
        /** Sent by CHUNKING, as Exchange Online sends a mail with bare line feeds. */
        final boolean byBdat;

        Copy(CorpusMessage message, boolean fromM365, HardenedRules rules, JamesServer.Kind kind) {
            this(message, fromM365, false, rules, kind);
        }

        Copy(CorpusMessage message, boolean fromM365, boolean byBdat, HardenedRules rules, JamesServer.Kind kind) {
            this.id = message.name + (fromM365 ? " m365" : " internet") + (byBdat ? " bdat" : "");
            this.message = message;
            this.fromM365 = fromM365;
            this.byBdat = byBdat;
            this.envelopeSender = message.envelopeSender();
            Scenario.Decision decision = rules.decide(fromM365, CorpusMessage.senderDomain(envelopeSender), message);
            // Enforce mode: a denied copy is only quarantined, never handed to RemoteDelivery.
            if (decision == Scenario.Decision.DENY) {
                this.expected = Place.QUARANTINED;
            } else {
                this.expected = kind == JamesServer.Kind.RELAY_GUARD || message.isReencodableByJames() ? Place.RELAYED : Place.ERROR_REPOSITORY;
            }
        }
    }

    private static List<CorpusMessage> corpus;
    private static List<Copy> copies;

    @BeforeAll
    static void readCorpus() throws IOException {
        corpus = corpus();
        HardenedRules rules = new HardenedRules(TENANT_ORGS, OUR_DOMAINS);
        copies = new ArrayList<>();
        for (CorpusMessage message : corpus) {
            copies.add(new Copy(message, true, rules, JamesServer.defaultKind()));
            copies.add(new Copy(message, false, rules, JamesServer.defaultKind()));
            if (JamesServer.defaultKind() == JamesServer.Kind.RELAY_GUARD) {
                copies.add(new Copy(message, true, true, rules, JamesServer.defaultKind()));
            }
        }
    }

    @Test
    void everyCorpusMessageEndsWhereTheRulesPredict() throws Exception {
        // The prediction is not trivial: both decisions occur among the Microsoft 365 copies.
        assertThat(copies.stream().filter(copy -> copy.fromM365).map(copy -> copy.expected).distinct())
            .contains(Place.RELAYED, Place.QUARANTINED);
        long relayedCopies = count(copies, Place.RELAYED);

        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().enforce(true).nextHops(hops).prepare()) {
            Path mailetContainer = james.conf("mailetcontainer.xml");
            String shipped = Files.readString(mailetContainer, StandardCharsets.UTF_8);
            assertThat(shipped).contains(SHIPPED_TENANT_ORGS);
            Files.writeString(mailetContainer, shipped.replace(SHIPPED_TENANT_ORGS,
                "<!ENTITY tenantOrgs \"" + String.join(", ", new TreeSet<>(TENANT_ORGS)) + "\">"), StandardCharsets.UTF_8);
            james.start();
            james.webAdmin().addDomain("nekonyaan.example.com");

            sendAll(james, copies);
            Outcomes outcomes = Outcomes.await(james, hops, (int) relayedCopies, CorpusMessage.ID_HEADER, Duration.ofMinutes(2));
            Map<String, Integer> errors = errorRepository(james);

            List<String> misplaced = new ArrayList<>();
            for (Copy copy : copies) {
                // Microsoft 365 copies go out to the internet; internet copies come in for our users (M365 smart host).
                int relayed = copy.fromM365 ? outcomes.relayed(copy.id) : outcomes.relayedToM365(copy.id);
                int misrouted = copy.fromM365 ? outcomes.relayedToM365(copy.id) : outcomes.relayed(copy.id);
                int quarantined = outcomes.quarantined(copy.id);
                int error = errors.getOrDefault(copy.id, 0);
                if (relayed != (copy.expected == Place.RELAYED ? 1 : 0)
                    || misrouted != 0
                    || quarantined != (copy.expected == Place.QUARANTINED ? 1 : 0)
                    || error != (copy.expected == Place.ERROR_REPOSITORY ? 1 : 0)) {
                    misplaced.add(String.format("%s (MAIL FROM:<%s>): relayed %d on its route, %d on the other, quarantined %d, "
                        + "error repository %d; expected %s", copy.id, copy.envelopeSender, relayed, misrouted, quarantined, error, copy.expected));
                }
            }
            Set<String> sent = copies.stream().map(copy -> copy.id).collect(Collectors.toSet());
            assertThat(misplaced).as("copies not where the rules predict").isEmpty();
            assertThat(outcomes.relayedCopies().keySet()).as("relayed mails that were not sent").isSubsetOf(sent);
            assertThat(outcomes.relayedToM365Copies().keySet()).as("mails relayed to M365 that were not sent").isSubsetOf(sent);
            assertThat(outcomes.quarantinedCopies().keySet()).as("quarantined mails that were not sent").isSubsetOf(sent);
            assertThat(errors.keySet()).as("error repository").isEqualTo(ids(copies, Place.ERROR_REPOSITORY));

            // A file sent by BDAT with its own line ends leaves as the same file sent by DATA does.
            Map<String, String> relayedBodies = hops.internet().received().stream()
                .collect(Collectors.toMap(mail -> mail.header(CorpusMessage.ID_HEADER), mail -> body(mail.message), (a, b) -> a));
            List<String> changed = copies.stream()
                .filter(copy -> copy.byBdat && copy.expected == Place.RELAYED)
                .filter(copy -> !relayedBodies.get(copy.id).equals(relayedBodies.get(copy.message.name + " m365")))
                .map(copy -> copy.id)
                .collect(Collectors.toList());
            assertThat(changed).as("bodies relayed by BDAT unlike the same file's by DATA").isEmpty();

            assertThat(james.isRunning()).as("James is still running").isTrue();
            assertThat(Scenario.OUR_SENDER_OUR_ORG.sendTo(james).code).as("James still accepts mail").isEqualTo(250);
            Outcomes after = Outcomes.await(james, hops, (int) relayedCopies + 1, Scenario.SCENARIO_HEADER, Duration.ofSeconds(60));
            assertThat(after.relayed(Scenario.OUR_SENDER_OUR_ORG.name())).as("James still relays mail").isEqualTo(1);
            System.out.printf("Corpus: %d files %s, %d copies: %d relayed, %d quarantined, %d in the error repository, as predicted on the %s%n",
                corpus.size(), byDirectory(corpus), copies.size(), relayedCopies, count(copies, Place.QUARANTINED), count(copies, Place.ERROR_REPOSITORY),
                james.kind() == JamesServer.Kind.RELAY_GUARD ? "Relay Guard server" : "James memory server");
        }
    }

    @Test
    void theMessagesJamesMemoryQueueCannotRelayAreParkedByTheMemoryServerAndRelayedUnchangedByOurs() throws Exception {
        HardenedRules rules = new HardenedRules(TENANT_ORGS, OUR_DOMAINS);
        List<Copy> unrelayable = corpus.stream()
            .filter(message -> !message.isReencodableByJames())
            .map(message -> new Copy(message, false, rules, JamesServer.Kind.STOCK_MEMORY))
            .collect(Collectors.toList());
        assertThat(unrelayable).as("copies that James 3.8.1's memory queue cannot relay").hasSize(7)
            .allMatch(copy -> copy.expected == Place.ERROR_REPOSITORY);

        try (NextHops hops = NextHops.start();
             JamesServer memory = JamesServer.builder().kind(JamesServer.Kind.STOCK_MEMORY).nextHops(hops).prepare()) {
            PlainPipeline.apply(memory);
            memory.start();
            sendAll(memory, unrelayable);
            Outcomes outcomes = Outcomes.await(memory, hops, 0, CorpusMessage.ID_HEADER, Duration.ofSeconds(60));

            assertThat(errorRepository(memory).keySet()).as("James's memory server, without Relay Guard")
                .isEqualTo(ids(unrelayable, Place.ERROR_REPOSITORY));
            assertThat(outcomes.relayedCopies()).isEmpty();
            assertThat(outcomes.relayedToM365Copies()).isEmpty();
        }

        try (NextHops hops = NextHops.start();
             JamesServer ours = JamesServer.builder().kind(JamesServer.Kind.RELAY_GUARD).nextHops(hops).start()) {
            sendAll(ours, unrelayable);
            Outcomes outcomes = Outcomes.await(ours, hops, unrelayable.size(), CorpusMessage.ID_HEADER, Duration.ofSeconds(60));

            assertThat(errorRepository(ours)).as("the Relay Guard server's error repository").isEmpty();
            for (Copy copy : unrelayable) {
                assertThat(outcomes.relayedToM365(copy.id)).as("%s relayed to our users' M365 smart host (%s)", copy.id, outcomes).isEqualTo(1);
                SmtpSink.Received relayed = hops.m365().received().stream()
                    .filter(mail -> mail.header(CorpusMessage.ID_HEADER).equals(copy.id))
                    .findFirst().orElseThrow();
                String sent = new String(SmtpClient.dataLines(copy.message.withId(copy.id)), StandardCharsets.UTF_8);
                assertThat(body(relayed.message)).as("%s body as sent", copy.id).isEqualTo(body(sent.replace("\r\n..", "\r\n.")));
            }
        }
    }

    /** What follows the header block. */
    private static String body(String message) {
        return message.substring(message.indexOf("\r\n\r\n") + 4);
    }

    private static void sendAll(JamesServer james, List<Copy> copies) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<String>> replies = new ArrayList<>();
            for (Copy copy : copies) {
                replies.add(clients.submit(() -> send(james, copy)));
            }
            List<String> refused = new ArrayList<>();
            for (Future<String> reply : replies) {
                Optional.ofNullable(reply.get()).ifPresent(refused::add);
            }
            assertThat(refused).as("copies James did not accept").isEmpty();
        } finally {
            clients.shutdownNow();
        }
    }

    /** Null when James accepted the copy, else what went wrong. */
    private static String send(JamesServer james, Copy copy) {
        String source = copy.fromM365 ? JamesServer.M365_HOST_SOURCE : JamesServer.INTERNET_HOST_SOURCE;
        String recipient = copy.fromM365 ? OUTBOUND_RECIPIENT : INBOUND_RECIPIENT;
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.of(source), Optional.empty())) {
            SmtpClient.Reply reply;
            if (copy.byBdat) {
                client.ehlo();
                reply = client.transactionByBdat(copy.envelopeSender, "", List.of(recipient), bdatBytes(copy), BDAT_CHUNK);
            } else {
                reply = client.send(copy.envelopeSender, List.of(recipient), copy.message.withId(copy.id));
            }
            return reply.code == 250 ? null : copy.id + ": " + reply;
        } catch (IOException e) {
            return copy.id + " (MAIL FROM:<" + copy.envelopeSender + ">): " + e.getMessage();
        }
    }

    /**
     * What a CHUNKING client sends: the file's own bytes, bare line feeds ({@code bsd}) and leading
     * dots as they are, no dot-stuffing; only the {@code mac} files' bare CRs become CRLF, since no
     * mail system ends lines that way in SMTP.
     */
    private static byte[] bdatBytes(Copy copy) {
        byte[] message = copy.message.withId(copy.id);
        if (!copy.message.name.startsWith("mac/")) {
            return message;
        }
        java.io.ByteArrayOutputStream crlf = new java.io.ByteArrayOutputStream(message.length + 64);
        for (int i = 0; i < message.length; i++) {
            crlf.write(message[i]);
            if (message[i] == '\r' && (i + 1 == message.length || message[i + 1] != '\n')) {
                crlf.write('\n');
            }
        }
        return crlf.toByteArray();
    }

    /** The error repository's mails by id, read through webadmin. */
    private static Map<String, Integer> errorRepository(JamesServer james) {
        WebAdmin webAdmin = james.webAdmin();
        Map<String, Integer> errors = new TreeMap<>();
        for (String key : webAdmin.mailKeys(JamesServer.ERROR_REPOSITORY)) {
            errors.merge(Outcomes.headerOf(webAdmin.rawMail(JamesServer.ERROR_REPOSITORY, key), CorpusMessage.ID_HEADER), 1, Integer::sum);
        }
        return errors;
    }

    /** Every file under maildir/, which must be there: the repository has the corpus, and a missing one is an error. */
    static List<CorpusMessage> corpus() throws IOException {
        String property = System.getProperty(CORPUS_PROPERTY);
        assertThat(property).as("system property %s (the pom sets it to integration-tests/corpus/sisimai-set-of-emails)", CORPUS_PROPERTY)
            .isNotBlank();
        Path maildir = Path.of(property).toAbsolutePath().normalize().resolve("maildir");
        assertThat(maildir).as("the sisimai corpus (%s=%s) is required; it is in the repository", CORPUS_PROPERTY, property)
            .isDirectory();
        for (String directory : DIRECTORIES) {
            assertThat(maildir.resolve(directory)).as("corpus directory " + directory).isDirectory();
        }
        List<CorpusMessage> messages = new ArrayList<>();
        try (Stream<Path> files = Files.walk(maildir)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                messages.add(CorpusMessage.read(maildir, file));
            }
        }
        assertThat(messages).as("messages under " + maildir).hasSizeGreaterThanOrEqualTo(MINIMUM_MESSAGES);
        return messages;
    }

    private static long count(List<Copy> copies, Place place) {
        return copies.stream().filter(copy -> copy.expected == place).count();
    }

    private static Set<String> ids(List<Copy> copies, Place place) {
        return copies.stream().filter(copy -> copy.expected == place).map(copy -> copy.id).collect(Collectors.toSet());
    }

    private static Map<String, Long> byDirectory(List<CorpusMessage> corpus) {
        return corpus.stream().collect(Collectors.groupingBy(message -> message.name.substring(0, message.name.indexOf('/')), TreeMap::new, Collectors.counting()));
    }
}
