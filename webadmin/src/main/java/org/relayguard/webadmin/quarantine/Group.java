package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * Quarantined mails that share one value: how many, first and last seen (the time James last
 * updated each mail, i.e. when it was received), and the keys of the newest ones.
 */
@JsonPropertyOrder({"value", "condition", "count", "firstSeen", "lastSeen", "keys"})
public final class Group {
    private final String value;
    private final Optional<String> condition;
    private final SampleKeys keys;
    private long count;
    private Instant firstSeen;
    private Instant lastSeen;

    Group(String value, Optional<String> condition, int sampleKeys) {
        this.value = value;
        this.condition = condition;
        this.keys = new SampleKeys(sampleKeys);
    }

    void add(String key, Instant seen) {
        count++;
        firstSeen = firstSeen == null || seen.isBefore(firstSeen) ? seen : firstSeen;
        lastSeen = lastSeen == null || seen.isAfter(lastSeen) ? seen : lastSeen;
        keys.offer(key, seen);
    }

    /** The shared value; null when it is absent (no header, null sender, unknown remote host). */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public String getValue() {
        return value;
    }

    /** For groups of {@code X-OriginatorOrg}: how the rule's org clause judges this value. */
    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    public Optional<String> getCondition() {
        return condition;
    }

    public long getCount() {
        return count;
    }

    public Instant getFirstSeen() {
        return firstSeen;
    }

    public Instant getLastSeen() {
        return lastSeen;
    }

    /** Keys of the newest mails of the group, newest first. */
    public List<String> getKeys() {
        return keys.keys();
    }
}
