package org.relayguard.it;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where mails ended up, read the way an operator would: what the next hop (an SMTP sink) received,
 * and what the quarantine holds according to webadmin. Mails are told apart by their
 * {@link Scenario#SCENARIO_HEADER} (or any header the caller names).
 */
public final class Outcomes {
    private static final List<String> QUEUES = List.of("spool", "outgoing", "to-m365");

    private final Map<String, Integer> relayed;
    private final Map<String, Integer> quarantined;
    private final int errors;

    private Outcomes(Map<String, Integer> relayed, Map<String, Integer> quarantined, int errors) {
        this.relayed = relayed;
        this.quarantined = quarantined;
        this.errors = errors;
    }

    /** How many copies of a mail the sink received. */
    public int relayed(String id) {
        return relayed.getOrDefault(id, 0);
    }

    /** How many copies of a mail the quarantine holds. */
    public int quarantined(String id) {
        return quarantined.getOrDefault(id, 0);
    }

    public int errorRepositorySize() {
        return errors;
    }

    /** Copies received by the sink, per mail; mails without the id header count under "(none)". */
    public Map<String, Integer> relayedCopies() {
        return Collections.unmodifiableMap(relayed);
    }

    /** Copies held by the quarantine, per mail. */
    public Map<String, Integer> quarantinedCopies() {
        return Collections.unmodifiableMap(quarantined);
    }

    public String describe(String id) {
        boolean isRelayed = relayed(id) > 0;
        boolean isQuarantined = quarantined(id) > 0;
        if (isRelayed && isQuarantined) {
            return "quarantined and relayed";
        }
        if (isQuarantined) {
            return "quarantined, not relayed";
        }
        return isRelayed ? "relayed" : "nowhere yet";
    }

    /**
     * Waits until James's queues are empty and the sink holds at least {@code expectedRelayed}
     * mails, then a little longer so that nothing unexpected is still on its way, and reads both sides.
     */
    public static Outcomes await(JamesServer james, SmtpSink sink, int expectedRelayed, String idHeader, Duration timeout) {
        return await(james, sink, expectedRelayed, idHeader, timeout, Set.of());
    }

    /**
     * As {@link #await(JamesServer, SmtpSink, int, String, Duration)}, leaving out the quarantined
     * mails whose keys are listed: a server root that persists keeps earlier runs' quarantine.
     */
    public static Outcomes await(JamesServer james, SmtpSink sink, int expectedRelayed, String idHeader, Duration timeout,
                                 Set<String> earlierQuarantine) {
        WebAdmin webAdmin = james.webAdmin();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (queuesEmpty(webAdmin) && sink.received().size() >= expectedRelayed) {
                JamesServer.sleep(1500);
                if (queuesEmpty(webAdmin)) {
                    break;
                }
            }
            JamesServer.sleep(200);
        }
        return read(james, sink, idHeader, earlierQuarantine);
    }

    public static Outcomes read(JamesServer james, SmtpSink sink, String idHeader) {
        return read(james, sink, idHeader, Set.of());
    }

    public static Outcomes read(JamesServer james, SmtpSink sink, String idHeader, Set<String> earlierQuarantine) {
        WebAdmin webAdmin = james.webAdmin();
        Map<String, Integer> relayed = new TreeMap<>();
        for (SmtpSink.Received mail : sink.received()) {
            relayed.merge(mail.header(idHeader), 1, Integer::sum);
        }
        Map<String, Integer> quarantined = new TreeMap<>();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            if (earlierQuarantine.contains(key)) {
                continue;
            }
            String raw = webAdmin.rawMail(JamesServer.QUARANTINE, key);
            quarantined.merge(headerOf(raw, idHeader), 1, Integer::sum);
        }
        return new Outcomes(relayed, quarantined, webAdmin.mailKeys(JamesServer.ERROR_REPOSITORY).size());
    }

    private static boolean queuesEmpty(WebAdmin webAdmin) {
        return QUEUES.stream().allMatch(queue -> webAdmin.queueSize(queue) == 0);
    }

    static String headerOf(String rawMessage, String name) {
        for (String line : rawMessage.split("\r?\n")) {
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return "(none)";
    }

    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        lines.add("relayed=" + relayed);
        lines.add("quarantined=" + quarantined);
        lines.add("error repository size=" + errors);
        return String.join(", ", lines);
    }
}
