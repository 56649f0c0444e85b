package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.mailet.Mail;
import org.relayguard.core.decision.DenyReason;
import org.relayguard.core.decision.OrgClause;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.dto.QuarantineReport;
import org.relayguard.webadmin.dto.ReportParameters;

import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;

/**
 * One pass over a quarantine, one mail at a time: nothing of a mail is kept but counts, first and
 * last times and a few keys per group, and the number of groups is capped, so memory does not grow
 * with the number of quarantined mails. Each mail is judged as the decision log judges it
 * ({@link DenyReason}): by the rule that quarantined it, against the allowed values and the tenants
 * of the running configuration.
 */
public final class QuarantineScan {
    static final String ONMICROSOFT_SUFFIX = ".onmicrosoft.com";
    /** Distinct values tracked per dimension; beyond it mails are counted as overflow. */
    public static final int DEFAULT_MAX_GROUPS = 10_000;
    /** Longer values (header instances are the sender's) are cut before they are grouped. */
    static final int MAX_VALUE_LENGTH = 256;

    private final AllowedOrgs allowed;
    private final ConfiguredTenants tenants;
    private final Set<String> domains;
    // A tenant name's first label to the DomainList domain it names (fabrikam -> fabrikam.com).
    private final Map<String, String> firstLabels;
    private final ReportParameters parameters;
    private final int maxGroups;
    private final GroupTally originatorOrg;
    private final GroupTally messageSource;
    private final GroupTally envelopeSenderDomain;
    private final GroupTally remoteHost;
    private final GroupTally rule;
    private final GroupTally xoorg;
    private final GroupTally tenant;
    private final Map<String, Long> conditions = new LinkedHashMap<>();
    private final Map<String, Suggestion> notAllowedValues = new HashMap<>();
    private final SampleKeys unreadableKeys;
    private final Optional<WhatIf> whatIf;
    private final Optional<Set<String>> allowedWithCandidates;
    private long mails;
    private Instant firstSeen;
    private Instant lastSeen;

    /**
     * @param domainList the domains of James's DomainList, read once before the pass: what makes a
     *                   value or a sender domain ours
     */
    QuarantineScan(AllowedOrgs allowed, ReportParameters parameters, int maxGroups, Collection<String> domainList) {
        this(allowed, ConfiguredTenants.none(), parameters, maxGroups, domainList);
    }

    public QuarantineScan(AllowedOrgs allowed, ConfiguredTenants tenants, ReportParameters parameters, int maxGroups, Collection<String> domainList) {
        this.allowed = allowed;
        this.tenants = tenants;
        this.domains = domainList.stream().map(domain -> domain.toLowerCase(Locale.ROOT)).collect(ImmutableSet.toImmutableSet());
        this.firstLabels = domains.stream().sorted()
            .collect(ImmutableMap.toImmutableMap(domain -> domain.split("\\.", 2)[0], domain -> domain, (first, second) -> first));
        this.parameters = parameters;
        this.maxGroups = maxGroups;
        this.originatorOrg = new GroupTally(maxGroups, parameters.sampleKeys());
        this.messageSource = new GroupTally(maxGroups, parameters.sampleKeys());
        this.envelopeSenderDomain = new GroupTally(maxGroups, parameters.sampleKeys());
        this.remoteHost = new GroupTally(maxGroups, parameters.sampleKeys());
        this.rule = new GroupTally(maxGroups, parameters.sampleKeys());
        this.xoorg = new GroupTally(maxGroups, parameters.sampleKeys());
        this.tenant = new GroupTally(maxGroups, parameters.sampleKeys());
        this.unreadableKeys = new SampleKeys(parameters.sampleKeys());
        this.whatIf = parameters.whatIf().map(candidates -> new WhatIf(candidates, maxGroups, parameters.sampleKeys()));
        this.allowedWithCandidates = parameters.whatIf().map(candidates -> ImmutableSet.<String>builder()
            .addAll(allowed.values()).addAll(candidates).build());
        DenyReason.CONDITIONS.forEach(condition -> conditions.put(condition, 0L));
    }

    void add(String key, Mail mail) {
        add(MailSummary.of(key, mail, tenants.tenants()));
    }

    public void add(MailSummary summary) {
        String key = summary.key();
        Instant seen = summary.time();
        mails++;
        firstSeen = firstSeen == null || seen.isBefore(firstSeen) ? seen : firstSeen;
        lastSeen = lastSeen == null || seen.isAfter(lastSeen) ? seen : lastSeen;

        DenyReason reason = DenyReason.of(summary.evidence(), allowed.values(), tenants.tenants(), domain -> domains.contains(domain.asString()));
        conditions.merge(reason.condition(), 1L, Long::sum);
        Optional<String> senderDomain = summary.senderDomain();
        envelopeSenderDomain.add(senderDomain, key, seen);
        remoteHost.add(summary.remoteHost(), key, seen);
        rule.add(reason.rule(), key, seen);
        xoorg.add(reason.xoorg().map(QuarantineScan::cut), key, seen);
        tenant.add(reason.tenant(), key, seen);

        Optional<String> orgGroup = Optional.empty();
        Optional<List<String>> orgs = reason.originatorOrgs();
        Optional<List<String>> sources = summary.messageSources();
        if (orgs.isPresent() && sources.isPresent()) {
            orgGroup = summary.originatorOrgGroup();
            originatorOrg.add(orgGroup, Optional.of(OrgClause.evaluate(orgs.get(), allowed.values()).token()), key, seen);
            messageSource.add(summary.messageSourceGroup(), key, seen);
        } else {
            unreadableKeys.offer(key, seen);
        }

        boolean denied = reason.deniedWith(allowed.values());
        tallyNotAllowedValues(reason, denied, summary);
        if (whatIf.isPresent() && denied) {
            if (reason.deniedWith(allowedWithCandidates.get())) {
                whatIf.get().stillDenied();
            } else {
                whatIf.get().letThrough(reason, orgGroup, key, seen);
            }
        }
    }

    /** Values the mail's rule did not allow, with what adding each one alone would have let through and whose domains their mails were sent as. */
    private void tallyNotAllowedValues(DenyReason reason, boolean denied, MailSummary summary) {
        Set<String> values = reason.notAllowedValues(allowed.values());
        if (values.isEmpty()) {
            return;
        }
        MailOrigin origin = MailOrigin.of(summary, domains);
        for (String value : values) {
            Suggestion suggestion = notAllowedValues.get(cut(value));
            if (suggestion == null) {
                if (notAllowedValues.size() >= maxGroups) {
                    continue;
                }
                suggestion = new Suggestion(cut(value), namedLike(value), parameters.sampleKeys()).reasons(reasons(value));
                notAllowedValues.put(cut(value), suggestion);
            }
            boolean letThroughAlone = denied && !reason.deniedWith(ImmutableSet.<String>builder().addAll(allowed.values()).add(value).build());
            suggestion.add(summary.key(), summary.time(), summary.senderDomain().orElse(null), origin, letThroughAlone);
        }
    }

    /**
     * The report, with the not-allowed values in three lists: suggestions (ours by name or by their
     * mails, strongest first: a domain of James's DomainList; an {@code .onmicrosoft.com} tenant name
     * equal to the first label of a DomainList domain; a value whose mails were all sent as our
     * domains from Exchange Online), suspicious values (ours by name, but mails sent as foreign
     * domains) and strangers.
     */
    public QuarantineReport finish(String repository) {
        Comparator<Suggestion> mostMailsFirst = Comparator.comparingLong(Suggestion::getWouldLetThrough).reversed()
            .thenComparing(Comparator.comparingLong(Suggestion::getMails).reversed())
            .thenComparing(Suggestion::getValue);
        List<Suggestion> suggestions = listed(Suggestion.Standing.SUGGESTED, Comparator.comparingInt(Suggestion::strength).thenComparing(mostMailsFirst));
        List<Suggestion> suspicious = listed(Suggestion.Standing.SUSPICIOUS, mostMailsFirst);
        List<Suggestion> strangers = listed(Suggestion.Standing.STRANGER, mostMailsFirst);

        Map<String, GroupTally> groups = new LinkedHashMap<>();
        groups.put("originatorOrg", originatorOrg.listing(parameters.limit()));
        groups.put("messageSource", messageSource.listing(parameters.limit()));
        groups.put("envelopeSenderDomain", envelopeSenderDomain.listing(parameters.limit()));
        groups.put("remoteHost", remoteHost.listing(parameters.limit()));
        groups.put("rule", rule.listing(parameters.limit()));
        groups.put("xoorg", xoorg.listing(parameters.limit()));
        groups.put("tenant", tenant.listing(parameters.limit()));

        return new QuarantineReport(repository, mails, firstSeen, lastSeen, allowed, tenants, conditions,
            new QuarantineReport.Values(suggestions, suspicious, strangers), whatIf.map(scenario -> scenario.listing(parameters.limit())), groups, unreadableKeys.keys());
    }

    private List<Suggestion> listed(Suggestion.Standing standing, Comparator<Suggestion> order) {
        return notAllowedValues.values().stream()
            .filter(value -> value.standing() == standing)
            .sorted(order)
            .limit(parameters.limit())
            .collect(Collectors.toUnmodifiableList());
    }

    private List<String> reasons(String value) {
        ImmutableList.Builder<String> reasons = ImmutableList.builder();
        if (domains.contains(value)) {
            reasons.add(Suggestion.IN_DOMAIN_LIST);
        }
        if (tenantName(value).isPresent()) {
            if (firstLabels.containsKey(tenantName(value).get())) {
                reasons.add(Suggestion.DOMAIN_LIST_NAME);
            }
            reasons.add(Suggestion.ONMICROSOFT);
        }
        return reasons.build();
    }

    /** The DomainList domain the value is, or whose first label its tenant name is. */
    private Optional<String> namedLike(String value) {
        if (domains.contains(value)) {
            return Optional.of(value);
        }
        return tenantName(value).map(firstLabels::get);
    }

    /** {@code fabrikam} of {@code fabrikam.onmicrosoft.com}. */
    private static Optional<String> tenantName(String value) {
        if (value.endsWith(ONMICROSOFT_SUFFIX) && value.length() > ONMICROSOFT_SUFFIX.length() && !value.contains(" ")) {
            return Optional.of(value.substring(0, value.length() - ONMICROSOFT_SUFFIX.length()));
        }
        return Optional.empty();
    }

    private static String cut(String value) {
        return value.length() > MAX_VALUE_LENGTH ? value.substring(0, MAX_VALUE_LENGTH) + "..." : value;
    }

    static Optional<String> joined(List<String> instances) {
        if (instances.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Joiner.on(", ").join(instances.stream().map(QuarantineScan::cut).iterator()));
    }
}
