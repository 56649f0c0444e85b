package org.relayguard.core.mail;

import java.util.List;
import java.util.Locale;

import javax.mail.MessagingException;

import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.util.MimeUtil;
import org.apache.mailet.Mail;
import org.relayguard.core.parameters.ConditionLists;

import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableList;

/**
 * The one normal form in which header instances and configured values are compared: unfolded,
 * RFC 2047 encoded-words decoded (an undecodable word stays as written), whitespace runs
 * collapsed to one space, trimmed, lower case.
 *
 * <p>Public so that the decision log and the quarantine report group and explain values exactly
 * as the matchers compare them.</p>
 */
public final class HeaderValues {
    private static final String ENCODED_WORD_START = "=?";

    private HeaderValues() {
    }

    public static String normalise(String raw) {
        String unfolded = MimeUtil.unfold(raw);
        // Most values have no encoded word: skip the decoder, which would only copy them.
        String decoded = unfolded.contains(ENCODED_WORD_START)
            ? DecoderUtil.decodeEncodedWords(unfolded, DecodeMonitor.SILENT)
            : unfolded;
        return CharMatcher.whitespace()
            .trimAndCollapseFrom(decoded, ' ')
            .toLowerCase(Locale.ROOT);
    }

    /** A comma-separated list of configured values, normalised, without the empty ones. */
    public static List<String> normaliseList(String commaSeparated) {
        return ConditionLists.split(commaSeparated).stream()
            .map(HeaderValues::normalise)
            .filter(value -> !value.isEmpty())
            .collect(ImmutableList.toImmutableList());
    }

    /** Every instance of a header of the mail, in message order, normalised; empty when absent. */
    public static List<String> instances(Mail mail, String headerName) throws MessagingException {
        String[] raw = mail.getMessage().getHeader(headerName);
        if (raw == null) {
            return ImmutableList.of();
        }
        ImmutableList.Builder<String> instances = ImmutableList.builder();
        for (String instance : raw) {
            instances.add(normalise(instance));
        }
        return instances.build();
    }
}
