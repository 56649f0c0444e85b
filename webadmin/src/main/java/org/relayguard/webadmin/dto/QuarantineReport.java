package org.relayguard.webadmin.dto;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.quarantine.GroupTally;
import org.relayguard.webadmin.quarantine.Suggestion;
import org.relayguard.webadmin.quarantine.WhatIf;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The JSON answer of {@code GET /relayguard/quarantine/:encodedPath/report}. */
@JsonPropertyOrder({"repository", "mails", "firstSeen", "lastSeen", "allowedOrgs", "tenants", "conditions", "suggestions", "suspicious", "strangers", "whatIf", "groups", "unreadableKeys"})
public final class QuarantineReport {
    private final String repository;
    private final long mails;
    private final Instant firstSeen;
    private final Instant lastSeen;
    private final AllowedOrgs allowedOrgs;
    private final ConfiguredTenants tenants;
    private final Map<String, Long> conditions;
    private final Values values;
    private final Optional<WhatIf> whatIf;
    private final Map<String, GroupTally> groups;
    private final List<String> unreadableKeys;

    public QuarantineReport(String repository, long mails, Instant firstSeen, Instant lastSeen, AllowedOrgs allowedOrgs, ConfiguredTenants tenants,
                            Map<String, Long> conditions, Values values, Optional<WhatIf> whatIf,
                            Map<String, GroupTally> groups, List<String> unreadableKeys) {
        this.repository = repository;
        this.mails = mails;
        this.firstSeen = firstSeen;
        this.lastSeen = lastSeen;
        this.allowedOrgs = allowedOrgs;
        this.tenants = tenants;
        this.conditions = conditions;
        this.values = values;
        this.whatIf = whatIf;
        this.groups = groups;
        this.unreadableKeys = unreadableKeys;
    }

    public String getRepository() {
        return repository;
    }

    public long getMails() {
        return mails;
    }

    public Instant getFirstSeen() {
        return firstSeen;
    }

    public Instant getLastSeen() {
        return lastSeen;
    }

    public AllowedOrgsDto getAllowedOrgs() {
        return new AllowedOrgsDto(allowedOrgs);
    }

    /** The tenants the {@code tenant} dimension names, and where they were read. */
    public TenantsDto getTenants() {
        return new TenantsDto(tenants);
    }

    /** Mails per reason of the rule that quarantined them, as the decision log names them ({@code DenyReason}). */
    public Map<String, Long> getConditions() {
        return conditions;
    }

    /**
     * Not-allowed values with evidence that they are ours: a DomainList domain, a tenant named like
     * one, or a value whose mails were all sent as our domains from Exchange Online; none of their
     * mails sent as a foreign domain.
     */
    public List<Suggestion> getSuggestions() {
        return values.suggestions;
    }

    /** Not-allowed values ours by name whose mails were sent as foreign domains: look-alikes, never to allow blindly. */
    public List<Suggestion> getSuspicious() {
        return values.suspicious;
    }

    /** Every other not-allowed value: nothing says it is ours, and {@code foreignDomains} often says whose it is. */
    public List<Suggestion> getStrangers() {
        return values.strangers;
    }

    /** Present when the request gave {@code whatIf}. */
    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    public Optional<WhatIf> getWhatIf() {
        return whatIf;
    }

    /**
     * By dimension: {@code originatorOrg}, {@code messageSource}, {@code envelopeSenderDomain},
     * {@code remoteHost}, {@code rule} (the rule that quarantined the mail), {@code xoorg}
     * (the tenant Exchange Online named in the SMTP session) and {@code tenant} (the one of our
     * tenants the mail comes from, by XOORG or else by every {@code X-OriginatorOrg} instance; a
     * {@code null} value when none is identified).
     */
    public Map<String, GroupTally> getGroups() {
        return groups;
    }

    /** Newest keys of mails whose headers could not be read: left out of the header dimensions. */
    public List<String> getUnreadableKeys() {
        return unreadableKeys;
    }

    /** The not-allowed values, by where they are listed. */
    public static final class Values {
        private final List<Suggestion> suggestions;
        private final List<Suggestion> suspicious;
        private final List<Suggestion> strangers;

        public Values(List<Suggestion> suggestions, List<Suggestion> suspicious, List<Suggestion> strangers) {
            this.suggestions = suggestions;
            this.suspicious = suspicious;
            this.strangers = strangers;
        }
    }

    @JsonPropertyOrder({"names", "source"})
    public static final class TenantsDto {
        private final ConfiguredTenants tenants;

        TenantsDto(ConfiguredTenants tenants) {
            this.tenants = tenants;
        }

        public List<String> getNames() {
            return tenants.names();
        }

        public String getSource() {
            return tenants.source();
        }
    }

    @JsonPropertyOrder({"values", "source"})
    public static final class AllowedOrgsDto {
        private final AllowedOrgs allowedOrgs;

        AllowedOrgsDto(AllowedOrgs allowedOrgs) {
            this.allowedOrgs = allowedOrgs;
        }

        public List<String> getValues() {
            return allowedOrgs.asList();
        }

        public String getSource() {
            return allowedOrgs.source();
        }
    }
}
