package org.relayguard.webadmin;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What adding candidate values to the allowed list would have done to the quarantined mail: a
 * mail is let through when the rule's {@code X-OriginatorOrg} clause denies it now and every
 * instance of its header is allowed or a candidate. Mails quarantined for another reason (the org
 * clause already lets them through) are never counted.
 */
@JsonPropertyOrder({"candidates", "mails", "stillDenied", "groups"})
public final class WhatIf {
    private final List<String> candidates;
    private final GroupTally groups;
    private long mails;
    private long stillDenied;

    WhatIf(List<String> candidates, int maxGroups, int sampleKeys) {
        this.candidates = candidates;
        this.groups = new GroupTally(maxGroups, sampleKeys);
    }

    void letThrough(Optional<String> orgGroup, String condition, String key, Instant seen) {
        mails++;
        groups.add(orgGroup, Optional.of(condition), key, seen);
    }

    void stillDenied() {
        stillDenied++;
    }

    WhatIf listing(int limit) {
        groups.listing(limit);
        return this;
    }

    /** The candidate values, normalised as the matcher normalises them. */
    public List<String> getCandidates() {
        return candidates;
    }

    /** Quarantined mails the candidates would have let through. */
    public long getMails() {
        return mails;
    }

    /** Quarantined mails denied by the org clause that the candidates would still deny. */
    public long getStillDenied() {
        return stillDenied;
    }

    /** The {@code X-OriginatorOrg} groups that would have been let through. */
    public GroupTally getGroups() {
        return groups;
    }
}
