package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.relayguard.core.decision.DenyReason;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What adding candidate values to the allowed list would have done to the quarantined mail: a
 * mail is let through when the rule that quarantined it denies it with today's allowed values and
 * would not with the candidates added ({@link DenyReason#deniedWith}). A missing secret, a missing
 * session tenant, a tenant sending as another (tenant binding: org values do not change who owns a
 * domain) or unreadable headers are never let through by a list change; mails the rule does not
 * deny today are not counted.
 */
@JsonPropertyOrder({"candidates", "mails", "stillDenied", "groups"})
public final class WhatIf {
    private final List<String> candidates;
    private final GroupTally originatorOrg;
    private final GroupTally xoorg;
    private long mails;
    private long stillDenied;

    WhatIf(List<String> candidates, int maxGroups, int sampleKeys) {
        this.candidates = candidates;
        this.originatorOrg = new GroupTally(maxGroups, sampleKeys);
        this.xoorg = new GroupTally(maxGroups, sampleKeys);
    }

    void letThrough(DenyReason reason, Optional<String> orgGroup, String key, Instant seen) {
        mails++;
        if (reason.rule().filter(DenyReason.XOORG_RULE::equals).isPresent()) {
            xoorg.add(reason.xoorg(), Optional.of(reason.condition()), key, seen);
        } else {
            originatorOrg.add(orgGroup, Optional.of(reason.condition()), key, seen);
        }
    }

    void stillDenied() {
        stillDenied++;
    }

    WhatIf listing(int limit) {
        originatorOrg.listing(limit);
        xoorg.listing(limit);
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

    /** Quarantined mails denied today that the candidates would still deny. */
    public long getStillDenied() {
        return stillDenied;
    }

    /**
     * The groups let through: {@code originatorOrg} (mails the X-OriginatorOrg rule quarantined, by
     * header value) and {@code xoorg} (mails the session-tenant rule quarantined, by XOORG).
     */
    public Map<String, GroupTally> getGroups() {
        Map<String, GroupTally> groups = new LinkedHashMap<>();
        groups.put("originatorOrg", originatorOrg);
        groups.put("xoorg", xoorg);
        return groups;
    }
}
