package org.relayguard.smtp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import com.google.common.cache.CacheBuilder;
import com.google.common.util.concurrent.ThreadFactoryBuilder;

/**
 * Client host names looked up off James's I/O threads: on a pool of {@code threads}, each answer
 * (a name, or the IP literal when there is none) kept for {@code cacheTtl}, and whoever waits for
 * one waits {@code timeout} at most, then takes the IP literal. A lookup the resolver makes slow
 * holds one thread of the pool, never an I/O thread; lookups of one address at the same time are one
 * lookup.
 *
 * <p>The lookup is the JDK's ({@code InetAddress.getHostName} on an address without a name: a
 * reverse lookup, forward-confirmed, the IP literal otherwise), as James 3.8.1 does on its I/O
 * threads, so the rules see the names they saw. The JDK gives the PTR record's TTL to no one: the
 * cache keeps each answer for a fixed time instead.</p>
 */
final class ReverseLookups implements AutoCloseable {
    static final int MAX_ADDRESSES = 100_000;
    /** Lookups waiting for a thread, beyond which an address gets no name at once. */
    static final int MAX_WAITING = 1000;

    private final ThreadPoolExecutor pool;
    private final ConcurrentMap<InetAddress, CompletableFuture<String>> answers;
    private final Duration timeout;
    private final UnaryOperator<String> resolver;

    /** @param resolver from an IP literal to the host name, or the IP literal when there is none */
    ReverseLookups(int threads, Duration timeout, Duration cacheTtl, UnaryOperator<String> resolver) {
        this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(MAX_WAITING),
            new ThreadFactoryBuilder().setDaemon(true).setNameFormat("relayguard-reverse-lookup-%d").build());
        pool.allowCoreThreadTimeOut(true);
        this.answers = CacheBuilder.newBuilder()
            .expireAfterWrite(cacheTtl)
            .maximumSize(MAX_ADDRESSES)
            .<InetAddress, CompletableFuture<String>>build()
            .asMap();
        this.timeout = timeout;
        this.resolver = resolver;
    }

    /** The JDK's reverse lookup, forward-confirmed, of an address given without a name. */
    static String jdkLookup(String ipLiteral) {
        try {
            return InetAddress.getByName(ipLiteral).getHostName();
        } catch (UnknownHostException e) {
            return ipLiteral;
        }
    }

    /** The answer for {@code address}, done at once when it is known; empty when it did not come within the timeout. */
    CompletableFuture<Answer> nameOf(InetAddress address) {
        CompletableFuture<String> lookup = answers.computeIfAbsent(address, this::lookUp);
        if (lookup == null) {
            // MAX_WAITING lookups wait already: no name now, and none remembered.
            return CompletableFuture.completedFuture(new Answer(address.getHostAddress(), true));
        }
        if (lookup.isDone()) {
            return CompletableFuture.completedFuture(new Answer(lookup.join(), false));
        }
        return lookup.copy()
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .handle((name, error) -> error == null ? new Answer(name, false) : new Answer(address.getHostAddress(), true));
    }

    private CompletableFuture<String> lookUp(InetAddress address) {
        String literal = address.getHostAddress();
        try {
            return CompletableFuture.supplyAsync(() -> resolver.apply(literal), pool)
                .exceptionally(error -> literal);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** A host name, or the IP literal when there is none or it did not come in time. */
    static final class Answer {
        final String name;
        final boolean timedOut;

        Answer(String name, boolean timedOut) {
            this.name = name;
            this.timedOut = timedOut;
        }
    }
}
