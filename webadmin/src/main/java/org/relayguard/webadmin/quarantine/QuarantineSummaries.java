package org.relayguard.webadmin.quarantine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import javax.mail.MessagingException;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.mailet.Mail;
import org.relayguard.core.tenants.Tenants;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.dto.QuarantinedMail;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.collect.Interner;
import com.google.common.collect.Interners;

/**
 * The quarantine as the report and the review page read it: a {@link MailSummary} per mail, read
 * from the repository the first time its key is listed and kept while the key stays listed, so
 * that a request over 100,000 mails reads none of them again (a full read of James's
 * {@code FileMailRepository} takes about 30 s at that size).
 *
 * <p>Which mails exist is asked of the repository on every request ({@link MailRepository#list()}):
 * a mail another gateway sharing the quarantine stored or removed (docs/cluster.md), or that James's
 * own webadmin released, is seen at the next request. A summary is only ever added for a listed key
 * and dropped when its key is no longer listed; it holds facts of the mail alone, so it is true
 * whatever node asks. (A mail James reprocesses into the quarantine again keeps its key: its
 * summary is renewed when it is read whole, see {@link #verify}.) What is judged from the facts (conditions, what-if, the DomainList's part) is
 * judged again on every request.</p>
 *
 * <p>Memory: one summary per quarantined mail, its values shared between mails
 * (docs/performance.md gives the bytes per mail); a mail whose sender-written values exceed
 * {@link MailSummary#MAX_TEXT_LENGTH} characters is not kept but read again on every request.</p>
 */
public final class QuarantineSummaries {
    private final Tenants tenants;
    private final Interner<Object> interner = Interners.newWeakInterner();
    // The repository objects of James's MailRepositoryStore live as long as the store; weak keys
    // (compared by identity) let a repository the store dropped take its summaries with it.
    private final Cache<MailRepository, RepositorySummaries> repositories = CacheBuilder.newBuilder().weakKeys().build();

    public QuarantineSummaries(ConfiguredTenants tenants) {
        this.tenants = tenants.tenants();
    }

    /** What a request does with each mail's summary. */
    @FunctionalInterface
    public interface Visitor {
        void visit(MailSummary summary);
    }

    /**
     * Visits a summary of every mail the repository lists now. Mails removed since they were listed
     * are left out. The summaries kept come first, then the mails too big to keep, read one at a
     * time, so that such mails cost no memory beyond the one being read.
     */
    public void forEach(MailRepository repository, Visitor visitor) throws MessagingException {
        RepositorySummaries summaries = of(repository);
        List<MailKey> readEachTime = new ArrayList<>();
        summaries.list(repository, readEachTime).forEach(visitor::visit);
        for (MailKey key : readEachTime) {
            MailSummary summary = summaries.read(repository, key);
            if (summary != null) {
                visitor.visit(summary);
            }
        }
    }

    /** Drops a mail this process removed at once, rather than at the next listing. */
    public void forget(MailRepository repository, MailKey key) {
        RepositorySummaries summaries = repositories.getIfPresent(repository);
        if (summaries != null) {
            summaries.forget(key.asString());
        }
    }

    /**
     * Drops the summary of a mail read whole when it no longer matches it: a mail reprocessed
     * through James's {@code PATCH /mailRepositories/…?action=reprocess} to a processor that
     * quarantines it again comes back under the same key, newer, and a request between the two
     * would not have seen its key missing.
     */
    public void verify(MailRepository repository, MailKey key, Mail mail) {
        RepositorySummaries summaries = repositories.getIfPresent(repository);
        if (summaries != null) {
            summaries.verify(key.asString(), QuarantinedMail.seen(mail).toEpochMilli());
        }
    }

    /** Summaries held now, over every repository: what the benchmark divides the heap by. */
    long size() {
        return repositories.asMap().values().stream().mapToLong(RepositorySummaries::size).sum();
    }

    private RepositorySummaries of(MailRepository repository) {
        try {
            return repositories.get(repository, RepositorySummaries::new);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    // Holds no reference to its repository, which would keep the weak key alive.
    private final class RepositorySummaries {
        // Replaced whole on each listing (so that keys gone are dropped); read and written under the lock.
        private Map<String, MailSummary> byKey = new HashMap<>();
        private Set<String> tooBig = new HashSet<>();

        /**
         * The summaries of the mails listed now, reading the new ones; the keys of mails too big
         * to keep are added to {@code readEachTime}. One listing at a time: when the page's two
         * calls arrive together on a cold cache, the second waits for the first to read the mails
         * instead of reading them all again.
         */
        synchronized List<MailSummary> list(MailRepository repository, List<MailKey> readEachTime) throws MessagingException {
            Map<String, MailSummary> listed = new HashMap<>(Math.max(16, byKey.size() * 4 / 3 + 1));
            Set<String> listedTooBig = new HashSet<>();
            List<MailSummary> summaries = new ArrayList<>(byKey.size());
            Iterator<MailKey> keys = repository.list();
            while (keys.hasNext()) {
                MailKey key = keys.next();
                if (tooBig.contains(key.asString())) {
                    listedTooBig.add(key.asString());
                    readEachTime.add(key);
                    continue;
                }
                MailSummary summary = byKey.get(key.asString());
                if (summary == null) {
                    summary = read(repository, key);
                    if (summary == null) {
                        continue; // removed since it was listed
                    }
                    if (!summary.fitsTheCache()) {
                        listedTooBig.add(key.asString());
                        readEachTime.add(key);
                        continue;
                    }
                    summary = summary.interned(interner);
                }
                listed.put(key.asString(), summary);
                summaries.add(summary);
            }
            byKey = listed;
            tooBig = listedTooBig;
            return summaries;
        }

        private MailSummary read(MailRepository repository, MailKey key) throws MessagingException {
            Mail mail = repository.retrieve(key);
            if (mail == null) {
                return null;
            }
            try {
                return MailSummary.of(key.asString(), mail, tenants);
            } finally {
                LifecycleUtil.dispose(mail);
            }
        }

        synchronized void verify(String key, long time) {
            MailSummary summary = byKey.get(key);
            if (summary != null && summary.time().toEpochMilli() != time) {
                byKey.remove(key);
            }
        }

        synchronized void forget(String key) {
            byKey.remove(key);
            tooBig.remove(key);
        }

        synchronized int size() {
            return byKey.size();
        }
    }
}
