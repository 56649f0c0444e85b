package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.collect.ImmutableList;

/**
 * Counts quarantined mails by one value (a dimension of the report) in bounded memory: at most
 * {@code maxGroups} distinct values are tracked; mails with a value first seen after that are
 * counted in {@code overflowMails}, so the counts of the tracked groups stay exact.
 */
@JsonPropertyOrder({"distinct", "overflowMails", "groups"})
public final class GroupTally {
    private static final Comparator<Group> LARGEST_FIRST = Comparator.comparingLong(Group::getCount).reversed()
        .thenComparing(Group::getValue, Comparator.nullsFirst(Comparator.naturalOrder()));

    private final int maxGroups;
    private final int sampleKeys;
    private final Map<Optional<String>, Group> groups = new HashMap<>();
    private long overflowMails;
    private int listed;

    GroupTally(int maxGroups, int sampleKeys) {
        this.maxGroups = maxGroups;
        this.sampleKeys = sampleKeys;
        this.listed = maxGroups;
    }

    void add(Optional<String> value, String key, Instant seen) {
        add(value, Optional.empty(), key, seen);
    }

    /** @param condition how the rule judges the value, kept when the group is created */
    void add(Optional<String> value, Optional<String> condition, String key, Instant seen) {
        Group group = groups.get(value);
        if (group == null) {
            if (groups.size() >= maxGroups) {
                overflowMails++;
                return;
            }
            group = new Group(value.orElse(null), condition, sampleKeys);
            groups.put(value, group);
        }
        group.add(key, seen);
    }

    /** How many groups {@link #getGroups()} lists: the largest ones. */
    GroupTally listing(int limit) {
        this.listed = limit;
        return this;
    }

    /** Distinct values seen (tracked). */
    public int getDistinct() {
        return groups.size();
    }

    /** Mails whose value was not tracked because {@code maxGroups} values were already tracked. */
    public long getOverflowMails() {
        return overflowMails;
    }

    /** The largest groups first, then by value. */
    public List<Group> getGroups() {
        return groups.values().stream()
            .sorted(LARGEST_FIRST)
            .limit(listed)
            .collect(ImmutableList.toImmutableList());
    }
}
