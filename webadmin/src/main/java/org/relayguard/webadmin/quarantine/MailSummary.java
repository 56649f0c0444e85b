package org.relayguard.webadmin.quarantine;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.relayguard.core.decision.DenyEvidence;
import org.relayguard.core.mail.HeaderNames;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.tenants.Tenants;
import org.relayguard.webadmin.dto.QuarantinedMail;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.Interner;

/**
 * What the report and the review page's listing need of one quarantined mail, read once from it:
 * its key and time, envelope sender domain, remote host, {@code X-OriginatorOrg} and message-source
 * instances and the rest of its {@link DenyEvidence}. Only facts of the mail (and of the tenants
 * description, fixed for the life of the process) are kept; every judgement against the allowed
 * values, a what-if or James's DomainList is made again from them on each request.
 *
 * <p>A quarantined mail never changes: it is stored once and then only removed (released,
 * deleted), so a summary read once stays true while its key is in the repository.</p>
 */
public final class MailSummary {
    /**
     * Characters of sender-written text a summary may hold (each value counted one more): a mail
     * beyond it is read from the repository on every request instead ({@link QuarantineSummaries}),
     * so that a sender cannot make the cache hold more per mail.
     */
    static final int MAX_TEXT_LENGTH = 1_024;

    static MailSummary of(String key, Mail mail, Tenants tenants) {
        return new MailSummary(key,
            QuarantinedMail.seen(mail).toEpochMilli(),
            mail.getMaybeSender().asOptional().map(sender -> sender.getDomain().asString().toLowerCase(Locale.ROOT)).orElse(null),
            Optional.ofNullable(mail.getRemoteHost()).map(host -> host.toLowerCase(Locale.ROOT)).orElse(null),
            messageSources(mail),
            DenyEvidence.of(mail, tenants));
    }

    private static List<String> messageSources(Mail mail) {
        try {
            return HeaderValues.instances(mail, HeaderNames.MESSAGE_SOURCE);
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    private final String key;
    private final long time;
    // Null: no sender (the null sender), no remote host, unreadable headers.
    private final String senderDomain;
    private final String remoteHost;
    private final List<String> messageSources;
    private final DenyEvidence evidence;
    // Derived from the instances once rather than on every request: the report's group values and
    // the listing's text (the same string, once interned, unless a value is longer than the cut).
    private final String originatorOrgGroup;
    private final String messageSourceGroup;
    private final String originatorOrgText;

    private MailSummary(String key, long time, String senderDomain, String remoteHost, List<String> messageSources, DenyEvidence evidence) {
        this(key, time, senderDomain, remoteHost, messageSources, evidence,
            evidence.originatorOrgs().flatMap(QuarantineScan::joined).orElse(null),
            Optional.ofNullable(messageSources).flatMap(QuarantineScan::joined).orElse(null),
            evidence.originatorOrgs().filter(orgs -> !orgs.isEmpty()).map(orgs -> QuarantinedMail.cut(String.join(", ", orgs))).orElse(null));
    }

    private MailSummary(String key, long time, String senderDomain, String remoteHost, List<String> messageSources, DenyEvidence evidence,
                        String originatorOrgGroup, String messageSourceGroup, String originatorOrgText) {
        this.key = key;
        this.time = time;
        this.senderDomain = senderDomain;
        this.remoteHost = remoteHost;
        this.messageSources = messageSources;
        this.evidence = evidence;
        this.originatorOrgGroup = originatorOrgGroup;
        this.messageSourceGroup = messageSourceGroup;
        this.originatorOrgText = originatorOrgText;
    }

    /** The same summary, its values shared with other mails' equal ones: a quarantine repeats a few hundred orgs and hosts. */
    @SuppressWarnings("unchecked")
    MailSummary interned(Interner<Object> interner) {
        return new MailSummary(key, time, intern(interner, senderDomain), intern(interner, remoteHost),
            messageSources == null ? null : (List<String>) interner.intern(messageSources.stream()
                .map(source -> intern(interner, source)).collect(ImmutableList.toImmutableList())),
            evidence.interned(interner), intern(interner, originatorOrgGroup), intern(interner, messageSourceGroup),
            intern(interner, originatorOrgText));
    }

    private static String intern(Interner<Object> interner, String value) {
        return value == null ? null : (String) interner.intern(value);
    }

    /** Whether keeping this summary costs at most {@link #MAX_TEXT_LENGTH} characters of the sender's text. */
    boolean fitsTheCache() {
        int length = length(senderDomain) + length(remoteHost) + evidence.textLength();
        if (messageSources != null) {
            length += messageSources.stream().mapToInt(MailSummary::length).sum();
        }
        return length <= MAX_TEXT_LENGTH;
    }

    private static int length(String value) {
        return value == null ? 0 : value.length() + 1;
    }

    public String key() {
        return key;
    }

    /** When James last updated the mail: when it was quarantined. */
    public Instant time() {
        return Instant.ofEpochMilli(time);
    }

    /** The envelope sender's domain, lower case; empty for the null sender. */
    public Optional<String> senderDomain() {
        return Optional.ofNullable(senderDomain);
    }

    /** The remote host name, lower case. */
    Optional<String> remoteHost() {
        return Optional.ofNullable(remoteHost);
    }

    /** The normalised {@code X-MS-Exchange-Generated-Message-Source} instances; empty when the headers cannot be read. */
    Optional<List<String>> messageSources() {
        return Optional.ofNullable(messageSources);
    }

    /** The {@code X-OriginatorOrg} instances as the report groups them ({@link QuarantineScan}); empty when none or unreadable. */
    Optional<String> originatorOrgGroup() {
        return Optional.ofNullable(originatorOrgGroup);
    }

    /** The message-source instances as the report groups them; empty when none or unreadable. */
    Optional<String> messageSourceGroup() {
        return Optional.ofNullable(messageSourceGroup);
    }

    /** The {@code X-OriginatorOrg} instances as the review page's table shows them; null when none or unreadable. */
    public String originatorOrgText() {
        return originatorOrgText;
    }

    public DenyEvidence evidence() {
        return evidence;
    }
}
