package org.relayguard.core.dns;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import com.google.common.net.InetAddresses;

/**
 * The DNS names a matcher tests a host or a domain against on every mail, each standing for itself,
 * for the names below it, or for both. {@link #covers(String)} reads the tested name once, from its
 * end, checking that it is a valid DNS name; at each label boundary where the rest of the name is
 * as long as some configured name, it probes a hash table. Its cost depends on the length of the
 * tested name, not on how many names are configured, and it allocates nothing. It accepts and
 * rejects exactly what {@link DnsNames#labels(String)} does; only a name with non-ASCII characters
 * takes the slow way through IDN.
 */
public final class DnsNameSet {
    /** What an entry stands for. */
    public enum Coverage {
        NAME(true, false),
        BELOW(false, true),
        NAME_AND_BELOW(true, true);

        final boolean name;
        final boolean below;

        Coverage(boolean name, boolean below) {
            this.name = name;
            this.below = below;
        }

        Coverage and(Coverage other) {
            return name || other.name ? (below || other.below ? NAME_AND_BELOW : NAME) : BELOW;
        }
    }

    private static final int MAX_LABEL_LENGTH = 63;
    private static final int MAX_NAME_LENGTH = 253;
    private static final char INVALID = 0;
    // For each ASCII character: its lower-case form if it may appear in a label, the dot, or INVALID.
    // One table lookup per character instead of several branches, which this loop is made of.
    private static final char[] LOWER_CASE = new char[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            LOWER_CASE[c] = c;
            LOWER_CASE[Character.toUpperCase(c)] = c;
        }
        for (char c = '0'; c <= '9'; c++) {
            LOWER_CASE[c] = c;
        }
        LOWER_CASE['-'] = '-';
        LOWER_CASE['_'] = '_';
        LOWER_CASE['.'] = '.';
    }

    /** Collects canonical names (as {@link DnsNames#canonical(String)} gives them) and what each stands for. */
    public static final class Builder {
        private final Map<String, Coverage> entries = new HashMap<>();

        public Builder add(String canonicalName, Coverage coverage) {
            entries.merge(canonicalName.toLowerCase(Locale.ROOT), coverage, Coverage::and);
            return this;
        }

        public DnsNameSet build() {
            return new DnsNameSet(entries);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    // Open addressing with linear probing, at most half full; names[i] stands for coverages[i] and
    // hashes[i] is its tailHash().
    private final String[] names;
    private final int[] hashes;
    private final Coverage[] coverages;
    private final int mask;
    // Whether some configured name has this length: most label boundaries need no probe at all.
    private final boolean[] lengths = new boolean[MAX_NAME_LENGTH + 1];
    private final int longest;

    private DnsNameSet(Map<String, Coverage> entries) {
        int size = Integer.highestOneBit(Math.max(1, entries.size()) * 2) * 2;
        names = new String[size];
        hashes = new int[size];
        coverages = new Coverage[size];
        mask = size - 1;
        entries.forEach((name, coverage) -> {
            int hash = tailHash(name);
            int slot = spread(hash) & mask;
            while (names[slot] != null) {
                slot = (slot + 1) & mask;
            }
            names[slot] = name;
            hashes[slot] = hash;
            coverages[slot] = coverage;
            lengths[Math.min(name.length(), MAX_NAME_LENGTH)] = true;
        });
        longest = entries.keySet().stream().mapToInt(String::length).max().orElse(0);
    }

    /**
     * Whether an entry covers {@code name}: trimmed, one trailing dot ignored, in any case. A name
     * that is not a valid DNS name, or is an IP literal, is covered by none.
     */
    public boolean covers(String name) {
        int start = 0;
        int end = name.length();
        while (start < end && name.charAt(start) <= ' ') {
            start++;
        }
        while (end > start && name.charAt(end - 1) <= ' ') {
            end--;
        }
        if (end > start && name.charAt(end - 1) == '.') {
            end--;
        }
        if (end == start || end - start > MAX_NAME_LENGTH) {
            return false;
        }
        if (longest == 0) {
            return false;
        }
        // From the end, check the name; as far as a configured name can reach (and the dot before
        // it), also build the hash of each tail name[i..end) as tailHash() does and probe at label
        // starts. Before that the name cannot be part of a configured name: no multiplication chain
        // there, which is what made a long host name slow.
        int hashedFrom = Math.max(start, end - longest - 1);
        int hash = 0;
        int labelLength = 0;
        boolean coveredAsBelow = false;
        boolean notNumeric = false;
        boolean upperCase = false;
        for (int i = end - 1; i >= start; i--) {
            if (i == hashedFrom - 1 && !coveredAsBelow) {
                // No configured name is a tail of this name, and none is as long as it: whatever the
                // rest of it, it is not covered.
                return false;
            }
            boolean hashed = i >= hashedFrom;
            char c = name.charAt(i);
            if (c >= LOWER_CASE.length) {
                return coversInternationalised(name);
            }
            char lower = LOWER_CASE[c];
            if (lower == '.') {
                if (labelLength == 0) {
                    return false;
                }
                coveredAsBelow |= hashed && lengths[end - i - 1] && find(name, i + 1, end, hash, upperCase, false);
                labelLength = 0;
            } else if (lower == INVALID || ++labelLength > MAX_LABEL_LENGTH) {
                return false;
            } else {
                notNumeric |= lower > '9' | lower < '0';
                upperCase |= lower != c;
            }
            if (hashed) {
                hash = 31 * hash + lower;
            }
        }
        if (labelLength == 0 || !notNumeric && InetAddresses.isInetAddress(name.substring(start, end))) {
            return false;
        }
        return coveredAsBelow || hashedFrom == start && lengths[end - start] && find(name, start, end, hash, upperCase, true);
    }

    /** Rare: a name with non-ASCII characters, compared in punycode as the configuration is. */
    private boolean coversInternationalised(String name) {
        return DnsNames.canonical(name).map(this::covers).orElse(false);
    }

    private boolean find(String name, int from, int end, int hash, boolean upperCase, boolean whole) {
        int length = end - from;
        for (int slot = spread(hash) & mask; names[slot] != null; slot = (slot + 1) & mask) {
            String candidate = names[slot];
            if (hashes[slot] == hash && candidate.length() == length
                && (upperCase ? candidate.regionMatches(true, 0, name, from, length) : name.startsWith(candidate, from))) {
                return whole ? coverages[slot].name : coverages[slot].below;
            }
        }
        return false;
    }

    /** A hash of a lower-case name read from its last character to its first, so that a tail's can be built while reading. */
    private static int tailHash(String lowerCase) {
        int hash = 0;
        for (int i = lowerCase.length() - 1; i >= 0; i--) {
            hash = 31 * hash + lowerCase.charAt(i);
        }
        return hash;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }
}
