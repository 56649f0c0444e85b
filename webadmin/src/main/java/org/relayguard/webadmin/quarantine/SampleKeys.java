package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The keys of the most recent mails of a group, at most a fixed number: enough to open a few with
 * {@code /mailRepositories/…/mails/KEY}, never a list that grows with the quarantine.
 */
final class SampleKeys {
    private static final Comparator<Sample> NEWEST_FIRST = Comparator.comparing((Sample sample) -> sample.seen).reversed()
        .thenComparing(sample -> sample.key);

    private static final class Sample {
        final String key;
        final Instant seen;

        Sample(String key, Instant seen) {
            this.key = key;
            this.seen = seen;
        }
    }

    private final int capacity;
    private final List<Sample> samples = new ArrayList<>();

    SampleKeys(int capacity) {
        this.capacity = capacity;
    }

    void offer(String key, Instant seen) {
        if (capacity == 0) {
            return;
        }
        if (samples.size() < capacity) {
            samples.add(new Sample(key, seen));
            samples.sort(NEWEST_FIRST);
            return;
        }
        // Most offers are older than the samples kept: decided without a Sample of their own
        Sample oldest = samples.get(samples.size() - 1);
        int byTime = seen.compareTo(oldest.seen);
        if (byTime > 0 || byTime == 0 && key.compareTo(oldest.key) < 0) {
            samples.set(samples.size() - 1, new Sample(key, seen));
            samples.sort(NEWEST_FIRST);
        }
    }

    /** Newest first. */
    List<String> keys() {
        return samples.stream().map(sample -> sample.key).collect(Collectors.toUnmodifiableList());
    }
}
