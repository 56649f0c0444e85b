package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;


import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.google.common.collect.ImmutableList;

/**
 * One organization value a rule did not allow ({@code X-OriginatorOrg} or the session's XOORG),
 * with the evidence to judge it: how many quarantined mails carry it, how many adding it alone to
 * the allowed list would have let through, the domains they were sent as (ours or not) and newest
 * keys. The report lists it as a suggestion only with evidence that it is ours
 * ({@link Standing#SUGGESTED}); a stranger's value is listed apart, and so is a value named like
 * ours whose mails are sent as foreign domains (a look-alike).
 */
@JsonPropertyOrder({"value", "reasons", "evidence", "mails", "wouldLetThrough", "senderDomains", "fromOurDomains", "fromForeignDomains",
    "ourDomains", "foreignDomains", "keys"})
public final class Suggestion {
    /** The value is a domain of James's DomainList: the operator declared it as ours. */
    public static final String IN_DOMAIN_LIST = "domainlist";
    /** An {@code .onmicrosoft.com} tenant name equal to the first label of a DomainList domain (fabrikam.onmicrosoft.com, fabrikam.com). */
    public static final String DOMAIN_LIST_NAME = "domainlist-name";
    /** Every mail carrying it was sent as our DomainList domains only, from Exchange Online. */
    public static final String DOMAIN_LIST_SENDERS = "domainlist-senders";
    /** A Microsoft 365 tenant's initial domain: every tenant has one, so on its own it says nothing of whose it is. */
    public static final String ONMICROSOFT = "onmicrosoft";
    static final int MAX_SENDER_DOMAINS = 5;

    /** Where the report lists a value. */
    enum Standing {
        /** Ours by its name or by its mails, and no mail of it sent as a foreign domain: {@code suggestions}. */
        SUGGESTED,
        /** Ours by its name, but some of its mails sent as foreign domains (a look-alike tenant name): {@code suspicious}. */
        SUSPICIOUS,
        /** Nothing says it is ours: {@code strangers}. */
        STRANGER
    }

    private final String value;
    private final Optional<String> namedLike;
    private final SampleKeys keys;
    private final Set<String> senderDomains = new LinkedHashSet<>();
    private final Set<String> ourDomains = new LinkedHashSet<>();
    private final Set<String> foreignDomains = new LinkedHashSet<>();
    private List<String> reasons = ImmutableList.of();
    private long mails;
    private long wouldLetThrough;
    private long fromOurDomains;
    private long fromForeignDomains;

    /** @param namedLike the DomainList domain the value is, or whose first label the tenant name is */
    Suggestion(String value, Optional<String> namedLike, int sampleKeys) {
        this.value = value;
        this.namedLike = namedLike;
        this.keys = new SampleKeys(sampleKeys);
    }

    void add(String key, Instant seen, String senderDomain, MailOrigin origin, boolean letThroughAlone) {
        mails++;
        if (letThroughAlone) {
            wouldLetThrough++;
        }
        if (senderDomain != null && senderDomains.size() < MAX_SENDER_DOMAINS) {
            senderDomains.add(senderDomain);
        }
        if (origin.ours()) {
            fromOurDomains++;
            addBounded(ourDomains, origin.ourDomains());
        }
        if (origin.foreign()) {
            fromForeignDomains++;
            addBounded(foreignDomains, origin.foreignDomains());
        }
        keys.offer(key, seen);
    }

    private static void addBounded(Set<String> domains, List<String> more) {
        for (String domain : more) {
            if (domains.size() < MAX_SENDER_DOMAINS) {
                domains.add(domain);
            }
        }
    }

    Suggestion reasons(List<String> reasons) {
        this.reasons = ImmutableList.copyOf(reasons);
        return this;
    }

    private boolean oursByName() {
        return reasons.contains(IN_DOMAIN_LIST) || reasons.contains(DOMAIN_LIST_NAME);
    }

    private boolean oursBySenders() {
        return mails > 0 && fromOurDomains == mails;
    }

    Standing standing() {
        if (oursByName()) {
            return fromForeignDomains > 0 ? Standing.SUSPICIOUS : Standing.SUGGESTED;
        }
        return oursBySenders() ? Standing.SUGGESTED : Standing.STRANGER;
    }

    /** 0 for a DomainList domain, 1 for a tenant named like one, 2 for a value known by its senders only. */
    int strength() {
        if (reasons.contains(IN_DOMAIN_LIST)) {
            return 0;
        }
        return reasons.contains(DOMAIN_LIST_NAME) ? 1 : 2;
    }

    public String getValue() {
        return value;
    }

    /**
     * Why it looks like ours: {@value #IN_DOMAIN_LIST}, {@value #DOMAIN_LIST_NAME},
     * {@value #DOMAIN_LIST_SENDERS}, {@value #ONMICROSOFT} (the last alone proves nothing).
     */
    public List<String> getReasons() {
        if (!oursByName() && oursBySenders()) {
            return ImmutableList.<String>builder().add(DOMAIN_LIST_SENDERS).addAll(reasons).build();
        }
        return reasons;
    }

    /** The evidence in words, for the operator: "3 of 3 mails from your domain fabrikam.com". */
    public String getEvidence() {
        return SuggestionEvidence.of(this);
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

    /** Its mails sent as our DomainList domains only, from Exchange Online ({@link MailOrigin#ours()}). */
    public long getFromOurDomains() {
        return fromOurDomains;
    }

    /** Its mails sent as at least one domain not in our DomainList. */
    public long getFromForeignDomains() {
        return fromForeignDomains;
    }

    /** Up to {@value #MAX_SENDER_DOMAINS} of our domains its mails were sent as. */
    public List<String> getOurDomains() {
        return ImmutableList.copyOf(ourDomains);
    }

    /** Up to {@value #MAX_SENDER_DOMAINS} domains not ours its mails were sent as: what gives a stranger away. */
    public List<String> getForeignDomains() {
        return ImmutableList.copyOf(foreignDomains);
    }

    public List<String> getKeys() {
        return keys.keys();
    }

    Optional<String> namedLike() {
        return namedLike;
    }

    boolean inDomainList() {
        return reasons.contains(IN_DOMAIN_LIST);
    }
}
