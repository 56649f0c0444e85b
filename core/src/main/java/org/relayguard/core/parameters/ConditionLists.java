package org.relayguard.core.parameters;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import javax.mail.MessagingException;

import com.google.common.base.Splitter;
import com.google.common.base.Strings;
import com.google.common.collect.ImmutableList;

/**
 * Parses the comma-separated lists that matcher conditions are made of, failing James's start-up
 * with a message that names the matcher and the offending entry.
 */
public final class ConditionLists {
    private static final Splitter COMMA = Splitter.on(',').trimResults();

    private ConditionLists() {
    }

    public static List<String> split(String list) {
        return COMMA.splitToList(list);
    }

    public static <T> List<T> parse(String matcherName, String condition, Function<String, Optional<T>> parser) throws MessagingException {
        if (Strings.isNullOrEmpty(condition) || condition.isBlank()) {
            throw new MessagingException(matcherName + ": a condition is required");
        }
        ImmutableList.Builder<T> entries = ImmutableList.builder();
        for (String entry : COMMA.split(condition)) {
            if (entry.isEmpty()) {
                throw new MessagingException(matcherName + ": empty entry in condition '" + condition + "'");
            }
            entries.add(parser.apply(entry)
                .orElseThrow(() -> new MessagingException(matcherName + ": invalid entry '" + entry + "' in condition '" + condition + "'")));
        }
        return entries.build();
    }
}
