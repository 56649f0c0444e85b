package org.relayguard.webadmin.dto;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.google.common.base.Joiner;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Sets;

/**
 * How the routes read a query ({@code request.raw().getParameterMap()}): strictly, every error an
 * {@link IllegalArgumentException} whose message the route returns with a 400. One copy for the
 * report's parameters and the listing's filter, so that both refuse the same mistakes in the same words.
 */
final class QueryParameters {
    private QueryParameters() {
    }

    /** A misspelt parameter would otherwise be ignored silently: the answer would not be the one asked for. */
    static void refuseUnknown(Map<String, String[]> query, Set<String> known) {
        Set<String> unknown = Sets.difference(query.keySet(), known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Unknown query parameter(s) " + Joiner.on(", ").join(ImmutableSet.copyOf(unknown).asList())
                + "; known: " + Joiner.on(", ").join(known));
        }
    }

    /** The value of a parameter given at most once. */
    static Optional<String> single(Map<String, String[]> query, String name) {
        String[] values = query.get(name);
        if (values == null) {
            return Optional.empty();
        }
        if (values.length != 1) {
            throw new IllegalArgumentException("'" + name + "' must be given once");
        }
        return Optional.of(values[0]);
    }

    /** A whole number from {@code min} to {@code max}, given at most once. */
    static Optional<Integer> integer(Map<String, String[]> query, String name, int min, int max) {
        return single(query, name).map(text -> {
            try {
                int value = Integer.parseInt(text.trim());
                if (value < min || value > max) {
                    throw new IllegalArgumentException("'" + name + "' must be between " + min + " and " + max + ", got " + value);
                }
                return value;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + name + "' must be a whole number, got '" + text + "'");
            }
        });
    }
}
