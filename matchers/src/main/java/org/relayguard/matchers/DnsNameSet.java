package org.relayguard.matchers;

import java.util.Collection;
import java.util.Locale;

import com.google.common.collect.ImmutableSet;

/**
 * Canonical DNS names (lower-case ASCII, no trailing dot) that a matcher tests a host or domain
 * against once per mail. A lookup walks the looked-up name once, from its end, and probes a hash
 * table at each label boundary: its cost depends on the length of that name, not on how many names
 * are configured, and it allocates nothing.
 */
final class DnsNameSet {
    private static final DnsNameSet EMPTY = new DnsNameSet(ImmutableSet.of());

    static DnsNameSet of(Collection<String> canonicalNames) {
        return canonicalNames.isEmpty() ? EMPTY : new DnsNameSet(ImmutableSet.copyOf(canonicalNames));
    }

    // Open addressing with linear probing, at most half full.
    private final String[] table;
    private final int mask;

    private DnsNameSet(ImmutableSet<String> names) {
        int size = Integer.highestOneBit(Math.max(1, names.size()) * 2) * 2;
        table = new String[size];
        mask = size - 1;
        for (String name : names) {
            String lowerCase = name.toLowerCase(Locale.ROOT);
            int slot = spread(lowerCase.hashCode()) & mask;
            while (table[slot] != null) {
                slot = (slot + 1) & mask;
            }
            table[slot] = lowerCase;
        }
    }

    boolean isEmpty() {
        return this == EMPTY;
    }

    /** Whether this set holds {@code name} itself. The name is ASCII, any case, without trailing dot. */
    boolean contains(String name) {
        return find(name, true, false);
    }

    /** Whether this set holds a domain strictly above {@code name} ({@code b.c} or {@code c} for {@code a.b.c}). */
    boolean containsParentOf(String name) {
        return find(name, false, true);
    }

    /** Whether this set holds {@code name} itself or a domain above it. */
    boolean containsNameOrParentOf(String name) {
        return find(name, true, true);
    }

    private boolean find(String name, boolean self, boolean parents) {
        if (isEmpty()) {
            return false;
        }
        // The hash of each tail name[i..] as String.hashCode() of its lower-case form, built from the end.
        int hash = 0;
        int power = 1;
        for (int i = name.length() - 1; i >= 0; i--) {
            hash += lowerAscii(name.charAt(i)) * power;
            power *= 31;
            boolean labelStart = i == 0 || name.charAt(i - 1) == '.';
            if (labelStart && (i == 0 ? self : parents) && probe(name, i, hash)) {
                return true;
            }
        }
        return false;
    }

    private boolean probe(String name, int from, int hash) {
        int length = name.length() - from;
        for (int slot = spread(hash) & mask; table[slot] != null; slot = (slot + 1) & mask) {
            String candidate = table[slot];
            if (candidate.hashCode() == hash && candidate.length() == length && candidate.regionMatches(true, 0, name, from, length)) {
                return true;
            }
        }
        return false;
    }

    private static char lowerAscii(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }
}
