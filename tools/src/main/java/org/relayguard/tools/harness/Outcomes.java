package org.relayguard.tools.harness;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.relayguard.tools.process.Pause;

/**
 * Where mails ended up, read the way an operator would: what each next hop (the internet one and
 * the Microsoft 365 smart host) received, and what the quarantine holds according to webadmin.
 * Mails are told apart by their {@link Scenario#SCENARIO_HEADER} (or any header the caller names).
 * "Relayed" is the internet route, where every mail to an outside recipient must go; a copy on the
 * M365 smart host is counted apart ({@link #relayedToM365(String)}), so that misrouting shows.
 */
public final class Outcomes {
    private final Map<String, Integer> relayed;
    private final Map<String, Integer> relayedToM365;
    private final Map<String, Integer> quarantined;
    private final int errors;

    private Outcomes(Map<String, Integer> relayed, Map<String, Integer> relayedToM365, Map<String, Integer> quarantined, int errors) {
        this.relayed = relayed;
        this.relayedToM365 = relayedToM365;
        this.quarantined = quarantined;
        this.errors = errors;
    }

    /** How many copies of a mail the internet next hop received. */
    public int relayed(String id) {
        return relayed.getOrDefault(id, 0);
    }

    /** How many copies of a mail the Microsoft 365 smart host received (with a smart host per tenant, all of them). */
    public int relayedToM365(String id) {
        return relayedToM365.getOrDefault(id, 0);
    }

    /** Copies received by the Microsoft 365 smart host, per mail. */
    public Map<String, Integer> relayedToM365Copies() {
        return Collections.unmodifiableMap(relayedToM365);
    }

    /** How many copies of a mail the quarantine holds. */
    public int quarantined(String id) {
        return quarantined.getOrDefault(id, 0);
    }

    public int errorRepositorySize() {
        return errors;
    }

    /** Copies received by the internet next hop, per mail; mails without the id header count under "(none)". */
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
     * Waits until James's queues are empty and the next hops together hold at least
     * {@code expectedRelayed} mails, then a little longer so that nothing unexpected is still on its
     * way, and reads all sides.
     */
    public static Outcomes await(JamesServer james, NextHops hops, int expectedRelayed, String idHeader, Duration timeout) {
        return await(james, hops, expectedRelayed, idHeader, timeout, Set.of());
    }

    /**
     * As {@link #await(JamesServer, NextHops, int, String, Duration)}, leaving out the quarantined
     * mails whose keys are listed: a server root that persists keeps earlier runs' quarantine.
     */
    public static Outcomes await(JamesServer james, NextHops hops, int expectedRelayed, String idHeader, Duration timeout,
                                 Set<String> earlierQuarantine) {
        WebAdmin webAdmin = james.webAdmin();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (queuesEmpty(webAdmin) && hops.internet().count() + hops.smartHosts().stream().mapToInt(SmtpSink::count).sum() >= expectedRelayed) {
                Pause.sleep(1500);
                if (queuesEmpty(webAdmin)) {
                    break;
                }
            }
            Pause.sleep(200);
        }
        return read(james, hops, idHeader, earlierQuarantine);
    }

    public static Outcomes read(JamesServer james, NextHops hops, String idHeader) {
        return read(james, hops, idHeader, Set.of());
    }

    public static Outcomes read(JamesServer james, NextHops hops, String idHeader, Set<String> earlierQuarantine) {
        WebAdmin webAdmin = james.webAdmin();
        Map<String, Integer> relayed = copies(hops.internet(), idHeader);
        Map<String, Integer> relayedToM365 = new TreeMap<>();
        hops.smartHosts().forEach(sink -> copies(sink, idHeader).forEach((id, count) -> relayedToM365.merge(id, count, Integer::sum)));
        Map<String, Integer> quarantined = new TreeMap<>();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            if (earlierQuarantine.contains(key)) {
                continue;
            }
            String raw = webAdmin.rawMail(JamesServer.QUARANTINE, key);
            quarantined.merge(headerOf(raw, idHeader), 1, Integer::sum);
        }
        return new Outcomes(relayed, relayedToM365, quarantined, webAdmin.mailKeys(JamesServer.ERROR_REPOSITORY).size());
    }

    private static Map<String, Integer> copies(SmtpSink sink, String idHeader) {
        Map<String, Integer> copies = new TreeMap<>();
        for (SmtpSink.Received mail : sink.received()) {
            copies.merge(mail.header(idHeader), 1, Integer::sum);
        }
        return copies;
    }

    /** Every queue James has (the spool, each route's and each tenant's delivery queue) is empty. */
    public static boolean queuesEmpty(WebAdmin webAdmin) {
        return webAdmin.queues().stream().allMatch(queue -> webAdmin.queueSize(queue) == 0);
    }

    public static String headerOf(String rawMessage, String name) {
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
        lines.add("relayed to M365=" + relayedToM365);
        lines.add("quarantined=" + quarantined);
        lines.add("error repository size=" + errors);
        return String.join(", ", lines);
    }
}
