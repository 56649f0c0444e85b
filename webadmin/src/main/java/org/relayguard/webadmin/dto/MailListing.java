package org.relayguard.webadmin.dto;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;

import org.relayguard.webadmin.configuration.GatewayMode;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The answer of {@code GET /relayguard/quarantine/:encodedPath/mails}, built in one pass in bounded
 * memory: how many mails match the filter, the newest of them (at most the filter's limit), and the
 * matching mails per hour and per day (UTC), the review page's chart of denials over time. At most
 * {@value #MAX_BUCKETS} hours and days are kept, the newest.
 */
@JsonPropertyOrder({"repository", "gateway", "mails", "matched", "hours", "days", "listed"})
public final class MailListing {
    static final int MAX_BUCKETS = 10_000;
    private static final Comparator<QuarantinedMail> OLDEST_FIRST = Comparator.comparing((QuarantinedMail mail) -> mail.time)
        .thenComparing(mail -> mail.key, Comparator.reverseOrder());

    @JsonPropertyOrder({"start", "count"})
    public static final class Bucket {
        public final Instant start;
        public final long count;

        Bucket(Instant start, long count) {
            this.start = start;
            this.count = count;
        }
    }

    private final String repository;
    private final GatewayMode gateway;
    private final MailFilter filter;
    private final PriorityQueue<QuarantinedMail> newest = new PriorityQueue<>(OLDEST_FIRST);
    private final TreeMap<Instant, Long> hours = new TreeMap<>();
    private final TreeMap<Instant, Long> days = new TreeMap<>();
    private long mails;
    private long matched;

    public MailListing(String repository, GatewayMode gateway, MailFilter filter) {
        this.repository = repository;
        this.gateway = gateway;
        this.filter = filter;
    }

    public void add(QuarantinedMail mail) {
        mails++;
        if (!filter.matches(mail)) {
            return;
        }
        matched++;
        count(hours, mail.time.truncatedTo(ChronoUnit.HOURS));
        count(days, mail.time.truncatedTo(ChronoUnit.DAYS));
        if (newest.size() < filter.limit()) {
            newest.add(mail);
        } else if (OLDEST_FIRST.compare(mail, newest.peek()) > 0) {
            newest.poll();
            newest.add(mail);
        }
    }

    /**
     * Replaces each listed row with the one {@code complete} gives for it (the mail read whole);
     * a row it gives nothing for (the mail is gone) is left out.
     */
    public <E extends Exception> void complete(RowCompletion<E> complete) throws E {
        List<QuarantinedMail> rows = new ArrayList<>(newest);
        newest.clear();
        for (QuarantinedMail row : rows) {
            complete.apply(row).ifPresent(newest::add);
        }
    }

    @FunctionalInterface
    public interface RowCompletion<E extends Exception> {
        Optional<QuarantinedMail> apply(QuarantinedMail row) throws E;
    }

    private static void count(TreeMap<Instant, Long> buckets, Instant start) {
        buckets.merge(start, 1L, Long::sum);
        if (buckets.size() > MAX_BUCKETS) {
            buckets.pollFirstEntry();
        }
    }

    public String getRepository() {
        return repository;
    }

    /** The gateway's mode and profile, which the page shows above the quarantine. */
    public GatewayMode getGateway() {
        return gateway;
    }

    /** Mails in the quarantine. */
    public long getMails() {
        return mails;
    }

    /** Mails the filter matches. */
    public long getMatched() {
        return matched;
    }

    /** Matching mails per hour (UTC) that has any, oldest first. */
    public List<Bucket> getHours() {
        return buckets(hours);
    }

    /** Matching mails per day (UTC) that has any, oldest first. */
    public List<Bucket> getDays() {
        return buckets(days);
    }

    /** The newest matching mails, newest first. */
    public List<QuarantinedMail> getListed() {
        List<QuarantinedMail> listed = new ArrayList<>(newest);
        listed.sort(OLDEST_FIRST.reversed());
        return listed;
    }

    private static List<Bucket> buckets(Map<Instant, Long> counts) {
        List<Bucket> buckets = new ArrayList<>(counts.size());
        counts.forEach((start, count) -> buckets.add(new Bucket(start, count)));
        return buckets;
    }
}
