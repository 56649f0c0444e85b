package org.relayguard.tools.load;

import java.net.IDN;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpSink;

/**
 * Where every mail of a run should be, against where it is: each mail relayed on its route (the
 * Microsoft 365 smart host for our domains, the internet next hop otherwise) and quarantined exactly
 * as often as the pipeline decides (once or not at all: a second copy is a duplicate), never on the
 * other route, nothing that was not sent, and an empty error repository; with the next hops given,
 * also each relayed mail's envelope as sent ({@link #addressProblems}).
 */
public final class Accounting {

    /** The pipeline a run went through. */
    public enum Pipeline {
        /** The shipped hardened profile. */
        HARDENED,
        /** The same gateway without Relay Guard: everything is relayed, nothing quarantined. */
        PLAIN
    }

    public final int predictedRelayed;
    public final int relayed;
    public final int predictedQuarantined;
    public final int quarantined;
    public final int errorRepositorySize;
    public final List<String> problems;

    private Accounting(int predictedRelayed, int relayed, int predictedQuarantined, int quarantined, int errorRepositorySize, List<String> problems) {
        this.predictedRelayed = predictedRelayed;
        this.relayed = relayed;
        this.predictedQuarantined = predictedQuarantined;
        this.quarantined = quarantined;
        this.errorRepositorySize = errorRepositorySize;
        this.problems = List.copyOf(problems);
    }

    public static int expectedRelayed(LoadRun.Mail mail, Pipeline pipeline, boolean enforce) {
        return pipeline == Pipeline.PLAIN || mail.kind.hardened == Scenario.Decision.RELAY || !enforce ? 1 : 0;
    }

    public static int expectedQuarantined(LoadRun.Mail mail, Pipeline pipeline) {
        return pipeline == Pipeline.HARDENED && mail.kind.hardened == Scenario.Decision.DENY ? 1 : 0;
    }

    public static int expectedRelayed(Collection<LoadRun.Mail> mails, Pipeline pipeline, boolean enforce) {
        return mails.stream().mapToInt(mail -> expectedRelayed(mail, pipeline, enforce)).sum();
    }

    public static Accounting of(Outcomes outcomes, Collection<LoadRun.Mail> mails, Pipeline pipeline, boolean enforce) {
        List<String> problems = new ArrayList<>();
        Set<String> sent = new HashSet<>();
        int predictedRelayed = 0;
        int predictedQuarantined = 0;
        for (LoadRun.Mail mail : mails) {
            sent.add(mail.id);
            int relayed = expectedRelayed(mail, pipeline, enforce);
            int quarantined = expectedQuarantined(mail, pipeline);
            predictedRelayed += relayed;
            predictedQuarantined += quarantined;
            boolean toM365 = mail.kind.toOurDomains();
            int onRoute = toM365 ? outcomes.relayedToM365(mail.id) : outcomes.relayed(mail.id);
            int offRoute = toM365 ? outcomes.relayed(mail.id) : outcomes.relayedToM365(mail.id);
            if (onRoute != relayed || offRoute != 0 || outcomes.quarantined(mail.id) != quarantined) {
                problems.add(String.format("%s (%s): relayed %d to the %s next hop and %d to the other, quarantined %d; expected %d, 0 and %d",
                    mail.id, mail.kind, onRoute, toM365 ? "M365" : "internet", offRoute, outcomes.quarantined(mail.id), relayed, quarantined));
            }
        }
        problems.addAll(unknown("relayed", outcomes.relayedCopies(), sent));
        problems.addAll(unknown("relayed to M365", outcomes.relayedToM365Copies(), sent));
        problems.addAll(unknown("quarantined", outcomes.quarantinedCopies(), sent));
        if (outcomes.errorRepositorySize() != 0) {
            problems.add("error repository holds " + outcomes.errorRepositorySize() + " mails");
        }
        return new Accounting(predictedRelayed, total(outcomes.relayedCopies()) + total(outcomes.relayedToM365Copies()), predictedQuarantined, total(outcomes.quarantinedCopies()),
            outcomes.errorRepositorySize(), problems);
    }

    /** As {@link #of(Outcomes, Collection, Pipeline, boolean)}, and each mail at the next hops with its envelope as sent. */
    public static Accounting of(Outcomes outcomes, Collection<LoadRun.Mail> mails, Pipeline pipeline, boolean enforce, NextHops hops) {
        Accounting accounting = of(outcomes, mails, pipeline, enforce);
        List<SmtpSink.Received> received = new ArrayList<>(hops.internet().received());
        hops.smartHosts().forEach(sink -> received.addAll(sink.received()));
        List<String> problems = new ArrayList<>(accounting.problems);
        problems.addAll(addressProblems(mails, received));
        return new Accounting(accounting.predictedRelayed, accounting.relayed, accounting.predictedQuarantined, accounting.quarantined,
            accounting.errorRepositorySize, problems);
    }

    /**
     * Each mail of {@code mails} among {@code received} with the envelope it was sent with: the same
     * sender and recipients, a local part byte for byte, a domain as the same name (a U-label and its
     * A-label are one: a relay writes the A-label to a next hop without SMTPUTF8).
     */
    public static List<String> addressProblems(Collection<LoadRun.Mail> mails, Collection<SmtpSink.Received> received) {
        Map<String, LoadRun.Mail> byId = mails.stream().collect(Collectors.toMap(mail -> mail.id, Function.identity(), (a, b) -> a));
        List<String> problems = new ArrayList<>();
        for (SmtpSink.Received mail : received) {
            LoadRun.Mail sent = byId.get(mail.header(MailKind.ID_HEADER));
            if (sent == null) {
                continue;
            }
            boolean sameRecipients = mail.rcptTo.size() == sent.recipients().size();
            for (int i = 0; sameRecipients && i < mail.rcptTo.size(); i++) {
                sameRecipients = sameAddress(mail.rcptTo.get(i), sent.recipients().get(i));
            }
            if (!sameRecipients || !sameAddress(mail.mailFrom, sent.sender())) {
                problems.add(String.format("%s (%s): the next hop got MAIL FROM:<%s> RCPT TO:%s; sent MAIL FROM:<%s> RCPT TO:%s",
                    sent.id, sent.kind, mail.mailFrom, mail.rcptTo, sent.sender(), sent.recipients()));
            }
        }
        return problems;
    }

    /** The same mailbox: local parts equal, domains equal as A-labels, any case. */
    static boolean sameAddress(String received, String sent) {
        int at = received.lastIndexOf('@');
        int sentAt = sent.lastIndexOf('@');
        if (at < 0 || sentAt < 0) {
            return received.equals(sent);
        }
        return received.substring(0, at).equals(sent.substring(0, sentAt)) && aLabel(received.substring(at + 1)).equals(aLabel(sent.substring(sentAt + 1)));
    }

    private static String aLabel(String domain) {
        try {
            return IDN.toASCII(domain).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return domain;
        }
    }

    private static List<String> unknown(String where, Map<String, Integer> copies, Set<String> sent) {
        List<String> unknown = new ArrayList<>();
        copies.forEach((id, count) -> {
            if (!sent.contains(id)) {
                unknown.add(count + " " + where + " mail(s) that were not sent in this run: " + MailKind.ID_HEADER + " " + id);
            }
        });
        return unknown;
    }

    private static int total(Map<String, Integer> copies) {
        return copies.values().stream().mapToInt(Integer::intValue).sum();
    }

    public boolean isExact() {
        return problems.isEmpty();
    }

    @Override
    public String toString() {
        String summary = String.format("relayed %d (predicted %d), quarantined %d (predicted %d), error repository %d: %s",
            relayed, predictedRelayed, quarantined, predictedQuarantined, errorRepositorySize, isExact() ? "exact" : "NOT EXACT");
        if (isExact()) {
            return summary;
        }
        List<String> shown = problems.subList(0, Math.min(20, problems.size()));
        return summary + "\n  " + String.join("\n  ", shown) + (problems.size() > shown.size() ? "\n  … " + (problems.size() - shown.size()) + " more" : "");
    }
}
