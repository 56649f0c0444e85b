package org.relayguard.core.parameters;

import java.util.Locale;
import java.util.Optional;

/**
 * A yes/no parameter read strictly: {@code true} or {@code false} in any case, surrounding
 * whitespace ignored, and nothing else. {@link Boolean#parseBoolean} reads a typo as {@code false},
 * which for a switch such as {@code enforce} would quietly turn protection off; each caller refuses
 * the empty answer with its own exception and message instead.
 */
public final class StrictBoolean {
    private StrictBoolean() {
    }

    /** {@code true} or {@code false}; empty for anything else, {@code null} included. */
    public static Optional<Boolean> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return Optional.of(true);
            case "false":
                return Optional.of(false);
            default:
                return Optional.empty();
        }
    }
}
