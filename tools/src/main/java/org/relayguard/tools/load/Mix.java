package org.relayguard.tools.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * How many mails of each {@link MailKind} a run sends: exact counts from weights (so that what lands
 * where can be predicted to the mail), in a fixed pseudo-random order.
 */
public final class Mix {
    /** Mostly our tenant's outbound mail and inbound internet mail, some forwards, a few relay attempts. */
    public static final String DEFAULT = "our_tenant=70,forward=5,foreign_tenant=5,internet=20";

    private final Map<MailKind, Integer> weights;

    private Mix(Map<MailKind, Integer> weights) {
        this.weights = weights;
    }

    /** Weights as {@code kind=weight,...}, kinds named as in {@link MailKind}, any case. */
    public static Mix parse(String text) {
        Map<MailKind, Integer> weights = new EnumMap<>(MailKind.class);
        for (String entry : text.split(",")) {
            String[] kindAndWeight = entry.trim().split("=");
            if (kindAndWeight.length != 2) {
                throw new IllegalArgumentException("mix entry is not kind=weight: '" + entry + "'");
            }
            weights.put(MailKind.valueOf(kindAndWeight[0].trim().toUpperCase(Locale.ROOT)), Integer.parseInt(kindAndWeight[1].trim()));
        }
        if (weights.values().stream().anyMatch(weight -> weight < 0) || weights.values().stream().mapToInt(Integer::intValue).sum() == 0) {
            throw new IllegalArgumentException("mix needs non-negative weights, not all zero: " + text);
        }
        return new Mix(weights);
    }

    /** Exactly {@code total} kinds: each gets its share rounded down, the rest go one each in order. */
    public List<MailKind> kinds(int total, long seed) {
        int weightSum = weights.values().stream().mapToInt(Integer::intValue).sum();
        List<MailKind> kinds = new ArrayList<>(total);
        weights.forEach((kind, weight) -> kinds.addAll(Collections.nCopies((int) ((long) total * weight / weightSum), kind)));
        List<MailKind> weighted = new ArrayList<>(weights.keySet());
        weighted.removeIf(kind -> weights.get(kind) == 0);
        for (int i = 0; kinds.size() < total; i++) {
            kinds.add(weighted.get(i % weighted.size()));
        }
        Collections.shuffle(kinds, new Random(seed));
        return kinds;
    }

    @Override
    public String toString() {
        return weights.toString();
    }
}
