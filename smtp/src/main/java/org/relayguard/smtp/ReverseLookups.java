package org.relayguard.smtp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>One network gets at most {@value #MAX_PER_NETWORK} lookups under way (running or waiting for a
 * thread; a network is an IPv4 /24 or an IPv6 /48): a client whose reverse zone stalls, from as
 * many addresses as it likes, would otherwise take every thread, and every other client's lookup
 * would wait behind its own and time out, losing its host name. Past that share an address of that
 * network gets no name at once, and none is remembered for it (fail closed for that client only).</p>
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
    /** Lookups under way for one network (IPv4 /24, IPv6 /48) at most. */
    static final int MAX_PER_NETWORK = 4;

    private final ThreadPoolExecutor pool;
    private final ConcurrentMap<InetAddress, CompletableFuture<String>> answers;
    private final ConcurrentMap<ByteBuffer, AtomicInteger> underWayPerNetwork = new ConcurrentHashMap<>();
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
            // Its network's share of the pool is taken, or MAX_WAITING lookups wait already: no name now, and none remembered.
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
        ByteBuffer network = network(address);
        AtomicInteger underWay = underWayPerNetwork.computeIfAbsent(network, any -> new AtomicInteger());
        if (underWay.incrementAndGet() > MAX_PER_NETWORK) {
            release(network);
            return null;
        }
        try {
            return CompletableFuture.supplyAsync(() -> resolver.apply(literal), pool)
                .exceptionally(error -> literal)
                .whenComplete((name, error) -> release(network));
        } catch (RejectedExecutionException e) {
            release(network);
            return null;
        }
    }

    private void release(ByteBuffer network) {
        underWayPerNetwork.computeIfPresent(network, (key, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    /** The address's network: its first 3 bytes (IPv4 /24) or 6 bytes (IPv6 /48). */
    static ByteBuffer network(InetAddress address) {
        byte[] bytes = address.getAddress();
        return ByteBuffer.wrap(Arrays.copyOf(bytes, bytes.length == 4 ? 3 : 6));
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
