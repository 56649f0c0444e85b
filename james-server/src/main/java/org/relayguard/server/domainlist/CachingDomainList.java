package org.relayguard.server.domainlist;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;

import com.google.common.collect.ImmutableSet;

/**
 * The DomainList as every mail asks it ({@code HostIsLocal} for each recipient,
 * {@code SenderInDomainSet=@domainlist} for the sender): answered from a copy in memory of the
 * domains stored in the database, instead of one database query per question.
 *
 * <p>The copy is read again at once after every change made through it (webadmin
 * {@code PUT/DELETE /domains/…}, {@code domainlist.xml} at start-up), so a domain added on this
 * server counts for the very next mail, as SPEC's "looked up live" requires; and at the latest
 * {@link #REFRESH} after the last read, for changes made elsewhere (another server on the same
 * database, a manual edit). A database that cannot be read fails the question, as the database
 * DomainList itself would: the matchers then fail closed.</p>
 */
public final class CachingDomainList implements DomainList {
    static final Duration REFRESH = Duration.ofSeconds(10);

    private final DomainList stored;
    private final Clock clock;
    private volatile Copy copy;

    public CachingDomainList(DomainList stored) {
        this(stored, Clock.systemUTC());
    }

    CachingDomainList(DomainList stored, Clock clock) {
        this.stored = stored;
        this.clock = clock;
    }

    @Override
    public boolean containsDomain(Domain domain) throws DomainListException {
        return current().domains.contains(domain);
    }

    @Override
    public List<Domain> getDomains() throws DomainListException {
        return current().domains.asList();
    }

    @Override
    public void addDomain(Domain domain) throws DomainListException {
        try {
            stored.addDomain(domain);
        } finally {
            reload();
        }
    }

    @Override
    public void removeDomain(Domain domain) throws DomainListException {
        try {
            stored.removeDomain(domain);
        } finally {
            reload();
        }
    }

    @Override
    public Domain getDefaultDomain() throws DomainListException {
        return stored.getDefaultDomain();
    }

    /** Reads the stored domains now: after a change, and once the stored list has been configured. */
    public synchronized void reload() throws DomainListException {
        copy = new Copy(ImmutableSet.copyOf(stored.getDomains()), clock.instant());
    }

    private Copy current() throws DomainListException {
        Copy current = copy;
        if (current == null || current.isOlderThan(clock.instant().minus(REFRESH))) {
            synchronized (this) {
                if (copy == current) {
                    reload();
                }
                current = copy;
            }
        }
        return current;
    }

    private static final class Copy {
        final ImmutableSet<Domain> domains;
        final Instant readAt;

        Copy(ImmutableSet<Domain> domains, Instant readAt) {
            this.domains = domains;
            this.readAt = readAt;
        }

        boolean isOlderThan(Instant instant) {
            return readAt.isBefore(instant);
        }
    }

    @Override
    public String toString() {
        Copy current = copy;
        return "CachingDomainList(" + stored.getClass().getSimpleName() + ", " + (current == null ? "not read yet" : current.domains.size() + " domains") + ")";
    }
}
