package org.relayguard.webadmin;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.collect.ImmutableList;

/**
 * One organization value a rule did not allow ({@code X-OriginatorOrg} or the session's XOORG) that
 * looks like the operator's own, with the evidence to judge it: how many quarantined mails carry
 * it, how many adding it alone to the allowed list would have let through, their envelope sender
 * domains and newest keys.
 */
@JsonPropertyOrder({"value", "reasons", "mails", "wouldLetThrough", "senderDomains", "keys"})
public final class Suggestion {
    /** The value is a domain of James's DomainList: the operator declared it as ours. */
    public static final String IN_DOMAIN_LIST = "domainlist";
    /** An {@code .onmicrosoft.com} tenant name equal to the first label of a DomainList domain (fabrikam.onmicrosoft.com, fabrikam.com). */
    public static final String DOMAIN_LIST_NAME = "domainlist-name";
    /** A Microsoft 365 tenant's initial domain: ours if it is one of our tenants (every other tenant has one too). */
    public static final String ONMICROSOFT = "onmicrosoft";
    static final int MAX_SENDER_DOMAINS = 5;

    private final String value;
    private final SampleKeys keys;
    private final Set<String> senderDomains = new LinkedHashSet<>();
    private List<String> reasons = ImmutableList.of();
    private long mails;
    private long wouldLetThrough;

    Suggestion(String value, int sampleKeys) {
        this.value = value;
        this.keys = new SampleKeys(sampleKeys);
    }

    void add(String key, Instant seen, String senderDomain, boolean letThroughAlone) {
        mails++;
        if (letThroughAlone) {
            wouldLetThrough++;
        }
        if (senderDomain != null && senderDomains.size() < MAX_SENDER_DOMAINS) {
            senderDomains.add(senderDomain);
        }
        keys.offer(key, seen);
    }

    Suggestion reasons(List<String> reasons) {
        this.reasons = ImmutableList.copyOf(reasons);
        return this;
    }

    /** 0 for a DomainList domain, 1 for a tenant named like one, 2 for any other tenant name. */
    int strength() {
        if (reasons.contains(IN_DOMAIN_LIST)) {
            return 0;
        }
        return reasons.contains(DOMAIN_LIST_NAME) ? 1 : 2;
    }

    public String getValue() {
        return value;
    }

    /** Why it looks like ours: {@value #IN_DOMAIN_LIST}, {@value #DOMAIN_LIST_NAME}, {@value #ONMICROSOFT}. */
    public List<String> getReasons() {
        return reasons;
    }

    /** Quarantined mails whose rule judged this value (an {@code X-OriginatorOrg} instance or the XOORG). */
    public long getMails() {
        return mails;
    }

    /** Quarantined mails that adding this value alone to the allowed list would have let through. */
    public long getWouldLetThrough() {
        return wouldLetThrough;
    }

    /** Up to {@value #MAX_SENDER_DOMAINS} envelope sender domains seen with it. */
    public List<String> getSenderDomains() {
        return ImmutableList.copyOf(senderDomains);
    }

    public List<String> getKeys() {
        return keys.keys();
    }
}
