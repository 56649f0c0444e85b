package org.relayguard.webadmin.quarantine;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.file.FileMailRepository;
import org.apache.james.server.core.JamesServerResourceLoader;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.filesystem.FileSystemImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.mockito.Mockito;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.webadmin.QuarantineReviewRoutes;
import org.relayguard.webadmin.RelayGuardWebAdminModule;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.configuration.GatewayMode;
import org.relayguard.webadmin.dto.MailFilter;
import org.relayguard.webadmin.dto.MailListing;
import org.relayguard.webadmin.dto.QuarantineReport;
import org.relayguard.webadmin.dto.ReportParameters;

import com.google.common.collect.Interner;
import com.google.common.collect.Interners;

/**
 * Load run of the quarantine report, not a test: fills James's own {@code FileMailRepository}
 * (the repository the shipped configuration uses) with a realistic mix of quarantined mail once,
 * then runs the report over it and prints the time it took and the heap it used.
 *
 * <pre>
 * mvn -B -pl webadmin -am -Pbenchmark verify            # 100,000 mails, -Xmx64m
 * mvn -B -pl webadmin -am -Pbenchmark verify -Dbenchmark.mails=10000 -Dbenchmark.heap=64m
 * </pre>
 *
 * Arguments: repository directory, number of mails.
 */
public final class QuarantineReportBenchmark {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int BODY_BYTES = 2_000;
    private static final AllowedOrgs ALLOWED = AllowedOrgs.of(List.of("contoso.onmicrosoft.com", "contoso.com"), "benchmark");
    private static final int PAGE_RUNS = 5;
    private static final int WORST_CASE_SUMMARIES = 10_000;
    private static final List<String> DOMAIN_LIST = List.of("contoso.com", "contoso.onmicrosoft.com", "fabrikam.com");

    private QuarantineReportBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "target/benchmark-james").toAbsolutePath();
        int mails = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Files.createDirectories(root.resolve("var/mail"));

        FileMailRepository repository = open(root);
        long stored = repository.size();
        if (stored < mails) {
            Instant start = Instant.now();
            fill(repository, stored, mails);
            System.out.printf("filled the quarantine with %,d mails in %s%n", mails - stored, Duration.between(start, Instant.now()));
        }
        repository = open(root);
        System.out.printf("quarantine: %,d mails in %s; JVM max heap (-Xmx) %,d MiB%n", repository.size(), root, mib(Runtime.getRuntime().maxMemory()));

        listKeys(repository);
        for (int run = 1; run <= 3; run++) {
            measure(repository, run);
        }
        measureReviewPage(repository);
        worstCase(mails, ReportParameters.DEFAULT_SAMPLE_KEYS);
        worstCase(mails, ReportParameters.MAX_SAMPLE_KEYS);
        worstCaseSummaries(Math.min(mails, WORST_CASE_SUMMARIES));
    }

    /**
     * What every request still asks of the repository: which keys it holds now
     * ({@code FileMailRepository} with {@code CACHEKEYS}, as shipped, copies its key set).
     */
    private static void listKeys(FileMailRepository repository) throws Exception {
        for (int run = 1; run <= 3; run++) {
            long start = System.nanoTime();
            int keys = 0;
            for (Iterator<MailKey> listed = repository.list(); listed.hasNext(); listed.next()) {
                keys++;
            }
            System.out.printf("key listing run %d: %,d keys in %.1f ms%n", run, keys, (System.nanoTime() - start) / 1e6);
        }
    }

    /**
     * The report's own bound, whatever the repository: mails generated in memory (and dropped one by
     * one) spread over as many distinct values as a dimension tracks ({@code maxGroups}) in every
     * dimension, each a suggestion candidate, so that every tally is full and every group holds
     * as many keys as it may.
     */
    private static void worstCase(int mails, int sampleKeys) throws Exception {
        Session session = Session.getInstance(new Properties());
        System.gc();
        long before = MEMORY.getHeapMemoryUsage().getUsed();
        Instant start = Instant.now();
        QuarantineScan scan = new QuarantineScan(ALLOWED,
            new ReportParameters(ReportParameters.DEFAULT_LIMIT, sampleKeys, Optional.of(List.of("fabrikam.onmicrosoft.com"))),
            QuarantineScan.DEFAULT_MAX_GROUPS, DOMAIN_LIST);
        for (int n = 0; n < mails; n++) {
            int i = n % QuarantineScan.DEFAULT_MAX_GROUPS;
            String raw = "From: someone@example.net\r\nX-OriginatorOrg: distinct" + i + ".onmicrosoft.com\r\n"
                + "X-MS-Exchange-Generated-Message-Source: source " + i + "\r\n\r\nbody\r\n";
            MailImpl mail = MailImpl.builder()
                .name("Mail1700000000000-" + java.util.UUID.randomUUID())
                .sender(MaybeSender.getMailSender("a@sender" + i + ".example"))
                .addRecipient("someone@external.example")
                .remoteHost("mail-" + i + ".outbound.protection.outlook.com")
                .remoteAddr("40.107.0.1")
                .lastUpdated(new Date())
                .errorMessage("relayguard rule=x-originatororg route=m365_mail")
                .mimeMessage(new MimeMessage(session, new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))))
                .build();
            mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.of("xoorg" + i + ".onmicrosoft.com")));
            scan.add(mail.getName(), mail);
        }
        QuarantineReport report = scan.finish("generated");
        Duration took = Duration.between(start, Instant.now());
        System.gc();
        long retained = MEMORY.getHeapMemoryUsage().getUsed();
        System.out.printf("worst case, %d keys per group: %,d mails over %,d values per dimension, in %.1f s; heap used before %,d MiB,"
                + " after GC with the report held %,d MiB (report: %,d MiB); tracked per dimension %,d, overflow %,d%n",
            sampleKeys, report.getMails(), QuarantineScan.DEFAULT_MAX_GROUPS, took.toMillis() / 1000.0, mib(before), mib(retained), mib(retained - before),
            report.getGroups().get("remoteHost").getDistinct(), report.getGroups().get("remoteHost").getOverflowMails());
    }

    private static FileMailRepository open(Path root) throws Exception {
        FileMailRepository repository = new FileMailRepository();
        repository.setFileSystem(new FileSystemImpl(new JamesServerResourceLoader(root.toString())));
        BaseHierarchicalConfiguration configuration = new BaseHierarchicalConfiguration();
        configuration.addProperty("[@destinationURL]", "file://var/mail/m365-relaydeny/");
        configuration.addProperty("[@FIFO]", false);
        configuration.addProperty("[@CACHEKEYS]", true);
        repository.configure(configuration);
        repository.init();
        return repository;
    }

    private static void measure(FileMailRepository repository, int run) throws Exception {
        System.gc();
        long before = MEMORY.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong(before);
        AtomicLong peakAfterGc = new AtomicLong(0);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(MEMORY.getHeapMemoryUsage().getUsed(), Math::max);
                peakAfterGc.accumulateAndGet(liveAfterLastGc(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();

        Instant start = Instant.now();
        QuarantineSummaries summaries = new QuarantineSummaries(ConfiguredTenants.none());
        QuarantineScan scan = new QuarantineScan(ALLOWED,
            new ReportParameters(ReportParameters.DEFAULT_LIMIT, ReportParameters.DEFAULT_SAMPLE_KEYS, Optional.of(List.of("fabrikam.onmicrosoft.com"))),
            QuarantineScan.DEFAULT_MAX_GROUPS, DOMAIN_LIST);
        summaries.forEach(repository, scan::add);
        QuarantineReport report = scan.finish("var/mail/m365-relaydeny");
        Duration took = Duration.between(start, Instant.now());

        sampler.interrupt();
        sampler.join();
        System.gc();
        long retained = MEMORY.getHeapMemoryUsage().getUsed();
        Reference.reachabilityFence(summaries);
        System.out.printf("run %d (cold: new summaries, every mail read): %,d mails in %.1f s (%,.0f mails/s); heap used: before %,d MiB,"
                + " peak %,d MiB (garbage included), peak left after a GC %,d MiB, after GC with the report and %,d summaries held %,d MiB;"
                + " org groups %,d (overflow %,d), remote hosts %,d, xoorg values %,d, what-if %,d, suggestions %d%n",
            run, report.getMails(), took.toMillis() / 1000.0, report.getMails() * 1000.0 / Math.max(1, took.toMillis()),
            mib(before), mib(peak.get()), mib(peakAfterGc.get()), summaries.size(), mib(retained),
            report.getGroups().get("originatorOrg").getDistinct(), report.getGroups().get("originatorOrg").getOverflowMails(),
            report.getGroups().get("remoteHost").getDistinct(), report.getGroups().get("xoorg").getDistinct(),
            report.getWhatIf().orElseThrow().getMails(), report.getSuggestions().size());
    }

    /**
     * What the review page asks for when it opens ({@code review.js}'s {@code load()}): the report
     * with {@code limit=50} and no what-if, and the listing with no filter (100 newest mails read
     * whole, the per-hour and per-day counts); then a filtered listing, as when the operator filters
     * by org. Both routes share one {@link QuarantineSummaries}, as in the server
     * ({@link RelayGuardWebAdminModule}): the first opening (cold) reads every mail once, the later
     * ones (warm) only list the keys. The goal is under a second of server time for the opening.
     */
    private static void measureReviewPage(FileMailRepository repository) throws Exception {
        long before = settledHeap();
        QuarantineSummaries summaries = new QuarantineSummaries(ConfiguredTenants.none());
        QuarantineReviewRoutes review = new QuarantineReviewRoutes(null, ALLOWED, ConfiguredTenants.none(),
            GatewayMode.of("audit", "hardened"), null, new MemoryDomainList(Mockito.mock(DNSService.class)), summaries);
        for (int run = 1; run <= PAGE_RUNS; run++) {
            long cpuStart = THREADS.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            QuarantineScan scan = new QuarantineScan(ALLOWED, new ReportParameters(50, ReportParameters.DEFAULT_SAMPLE_KEYS, Optional.empty()),
                QuarantineScan.DEFAULT_MAX_GROUPS, DOMAIN_LIST);
            summaries.forEach(repository, scan::add);
            QuarantineReport report = scan.finish("var/mail/m365-relaydeny");
            long reported = System.nanoTime();
            MailListing listing = new MailListing("var/mail/m365-relaydeny", GatewayMode.of("audit", "hardened"), MailFilter.parse(Map.of()));
            review.list(repository, listing);
            review.complete(List.of(repository), listing);
            long listed = System.nanoTime();
            long cpuListed = THREADS.getCurrentThreadCpuTime();
            MailListing filtered = new MailListing("var/mail/m365-relaydeny", GatewayMode.of("audit", "hardened"),
                MailFilter.parse(Map.of(MailFilter.ORIGINATOR_ORG, new String[] {"fabrikam"})));
            review.list(repository, filtered);
            review.complete(List.of(repository), filtered);
            long end = System.nanoTime();
            System.out.printf("review page run %d (%s): opening %.3f s, CPU of the request thread %.3f s (report %.3f s over %,d mails,"
                    + " listing %.3f s: %,d listed, %,d hours, %,d days); filtered listing %.3f s (%,d matched); goal: opening under 1 s%n",
                run, run == 1 ? "cold: first call, every mail read" : "warm", seconds(listed - start), seconds(cpuListed - cpuStart),
                seconds(reported - start), report.getMails(),
                seconds(listed - reported), listing.getListed().size(), listing.getHours().size(), listing.getDays().size(),
                seconds(end - listed), filtered.getMatched());
        }
        long held = settledHeap();
        long kept = summaries.size();
        Reference.reachabilityFence(review);
        System.out.printf("review page summaries: %,d held; heap used after GC: before %,d MiB, with them %,d MiB: %,d bytes per mail%n",
            kept, mib(before), mib(held), (held - before) / Math.max(1, kept));
    }

    /**
     * The summaries' own bound: mails whose sender-written values are all distinct (nothing shared
     * between mails) and fill {@link MailSummary#MAX_TEXT_LENGTH}, the most a kept summary may hold,
     * generated in memory and summarised as {@link QuarantineSummaries} keeps them.
     */
    private static void worstCaseSummaries(int mails) throws Exception {
        Session session = Session.getInstance(new Properties());
        long before = settledHeap();
        Interner<Object> interner = Interners.newWeakInterner();
        List<MailSummary> kept = new ArrayList<>(mails);
        for (int n = 0; n < mails; n++) {
            String unique = String.format("%08d", n);
            String raw = "From: someone@example.net\r\n"
                + "X-OriginatorOrg: " + labels('o', 100) + unique + ".onmicrosoft.com\r\n"
                + "X-OriginatorOrg: " + labels('p', 100) + unique + ".example\r\n"
                + "X-MS-Exchange-Generated-Message-Source: " + "s".repeat(200) + unique + "\r\n\r\nbody\r\n";
            MailImpl mail = MailImpl.builder()
                .name("Mail1700000000000-" + java.util.UUID.randomUUID())
                .sender(MaybeSender.getMailSender("a@" + labels('d', 120) + unique + ".example"))
                .addRecipient("someone@external.example")
                .remoteHost(labels('h', 100) + unique + ".outbound.protection.outlook.com")
                .remoteAddr("40.107.0.1")
                .lastUpdated(new Date())
                .errorMessage("relayguard rule=xoorg route=m365_xoorg")
                .mimeMessage(new MimeMessage(session, new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))))
                .build();
            mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.of(labels('x', 100) + unique + ".onmicrosoft.com")));
            MailSummary summary = MailSummary.of(mail.getName(), mail, ConfiguredTenants.none().tenants());
            if (!summary.fitsTheCache()) {
                throw new IllegalStateException("the worst case must fit the cache");
            }
            kept.add(summary.interned(interner));
            mail.dispose();
        }
        long held = settledHeap();
        System.out.printf("worst case summaries: %,d mails, each with distinct values at the cap of %,d characters: heap used after GC before"
                + " %,d MiB, with them %,d MiB: %,d bytes per mail%n",
            kept.size(), MailSummary.MAX_TEXT_LENGTH, mib(before), mib(held), (held - before) / Math.max(1, kept.size()));
    }

    /**
     * A mix like an audit phase's quarantine: most mail from a few hundred foreign tenants (their
     * org written in varying case), some from a tenant of ours missing from the allowed list, some
     * with no org, forged second instances, mailbox-rules forwards, mail the session-tenant (XOORG)
     * rule denied, and a long tail of one-off orgs. Each carries its rule's notice, as in James.
     */
    private static void fill(FileMailRepository repository, long from, int to) throws Exception {
        Random random = new Random(42);
        Session session = Session.getInstance(new Properties());
        String body = "x".repeat(76) + "\r\n";
        String bodyText = body.repeat(BODY_BYTES / body.length());
        Instant t0 = Instant.parse("2024-05-01T00:00:00Z");
        for (long i = from; i < to; i++) {
            int kind = random.nextInt(100);
            String org;
            String extra = "";
            String notice = "relayguard rule=x-originatororg route=m365_mail";
            String xoorg = null;
            if (kind < 55) {
                String tenant = "tenant" + random.nextInt(300) + ".onmicrosoft.com";
                org = "X-OriginatorOrg: " + (random.nextBoolean() ? tenant : tenant.toUpperCase()) + "\r\n";
            } else if (kind < 65) {
                org = "X-OriginatorOrg: fabrikam.onmicrosoft.com\r\n";
            } else if (kind < 75) {
                org = "";
            } else if (kind < 80) {
                org = "X-OriginatorOrg: contoso.com\r\nX-OriginatorOrg: evil" + random.nextInt(50) + ".example\r\n";
            } else if (kind < 90) {
                org = "X-OriginatorOrg: tenant" + random.nextInt(300) + ".onmicrosoft.com\r\n";
                extra = "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r\n";
            } else if (kind < 95) {
                xoorg = "tenant" + random.nextInt(300) + ".onmicrosoft.com";
                org = "X-OriginatorOrg: contoso.com\r\n";
                notice = "relayguard rule=xoorg route=m365_xoorg";
            } else {
                org = "X-OriginatorOrg: oneoff" + i + ".example\r\n";
            }
            String raw = "From: someone@sender" + random.nextInt(1000) + ".example\r\n"
                + "To: someone@external.example\r\n"
                + "Subject: benchmark " + i + "\r\n"
                + "Message-ID: <" + i + "@benchmark.relayguard>\r\n"
                + org + extra
                + "\r\n" + bodyText;
            MailImpl mail = MailImpl.builder()
                .name("Mail" + i)
                .sender(MaybeSender.getMailSender("a@sender" + random.nextInt(1000) + ".example"))
                .addRecipient("someone@external.example")
                .remoteHost("mail-" + random.nextInt(500) + ".outbound.protection.outlook.com")
                .remoteAddr("40.107." + random.nextInt(256) + "." + random.nextInt(256))
                .lastUpdated(Date.from(t0.plusSeconds(i * 7)))
                .errorMessage(notice)
                .mimeMessage(new MimeMessage(session, new ByteArrayInputStream(raw.getBytes(StandardCharsets.UTF_8))))
                .build();
            if (xoorg != null) {
                mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.of(xoorg)));
            }
            repository.store(mail);
            mail.dispose();
            if ((i + 1) % 10_000 == 0) {
                System.out.printf("  stored %,d%n", i + 1);
            }
        }
    }

    /**
     * Heap used once collections free nothing more: James's mails free their resources through
     * reference processing, which one collection only starts.
     */
    private static long settledHeap() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int gc = 0; gc < 10; gc++) {
            System.gc();
            Thread.sleep(50);
            long now = MEMORY.getHeapMemoryUsage().getUsed();
            if (now >= used) {
                return now;
            }
            used = now;
        }
        return used;
    }

    /** Heap still used right after the latest collection of each heap pool: the live set, garbage left out. */
    private static long liveAfterLastGc() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null)
            .mapToLong(pool -> pool.getCollectionUsage().getUsed())
            .sum();
    }

    /** A DNS name part of {@code length} characters in labels of 50 (49 letters and a dot). */
    private static String labels(char letter, int length) {
        StringBuilder name = new StringBuilder(length);
        while (name.length() < length) {
            name.append(name.length() % 50 == 49 ? '.' : letter);
        }
        return name.toString();
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
