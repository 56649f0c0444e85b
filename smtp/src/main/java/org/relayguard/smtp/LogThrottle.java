package org.relayguard.smtp;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

import com.google.common.cache.CacheBuilder;

/**
 * At most one log line per client address per period, whatever the client does: the events in
 * between are counted, and the next line that is written says how many were left out. A client
 * that opens connections in a loop cannot make the gateway write a line for each of them.
 *
 * <p>The addresses remembered are bounded ({@value #MAX_ADDRESSES}, the least recently seen
 * forgotten first): a client with more addresses than that gets a line per address each time it
 * is forgotten, the metrics still count every event.</p>
 */
final class LogThrottle {
    static final int MAX_ADDRESSES = 10_000;
    static final Duration PERIOD = Duration.ofMinutes(1);

    private static final class Window {
        boolean started;
        long start;
        long leftOut;
    }

    private final ConcurrentMap<String, Window> windows = CacheBuilder.newBuilder()
        .maximumSize(MAX_ADDRESSES)
        .<String, Window>build()
        .asMap();
    private final long periodNanos;
    private final LongSupplier nanoTime;

    LogThrottle() {
        this(PERIOD, System::nanoTime);
    }

    LogThrottle(Duration period, LongSupplier nanoTime) {
        this.periodNanos = period.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * One more event from {@code address}: empty when its line must be left out, otherwise how many
     * events of that address were left out since its last line.
     */
    OptionalLong admit(String address) {
        Window window = windows.computeIfAbsent(address, any -> new Window());
        long now = nanoTime.getAsLong();
        synchronized (window) {
            if (window.started && now - window.start < periodNanos) {
                window.leftOut++;
                return OptionalLong.empty();
            }
            long leftOut = window.leftOut;
            window.started = true;
            window.start = now;
            window.leftOut = 0;
            return OptionalLong.of(leftOut);
        }
    }
}
