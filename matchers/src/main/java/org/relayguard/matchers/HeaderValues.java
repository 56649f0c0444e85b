package org.relayguard.matchers;

import java.util.Locale;

import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.util.MimeUtil;

import com.google.common.base.CharMatcher;

/**
 * The one normal form in which header instances and configured values are compared: unfolded,
 * RFC 2047 encoded-words decoded (an undecodable word stays as written), whitespace runs
 * collapsed to one space, trimmed, lower case.
 */
final class HeaderValues {
    private static final String ENCODED_WORD_START = "=?";

    private HeaderValues() {
    }

    static String normalise(String raw) {
        String unfolded = MimeUtil.unfold(raw);
        // Most values have no encoded word: skip the decoder, which would only copy them.
        String decoded = unfolded.contains(ENCODED_WORD_START)
            ? DecoderUtil.decodeEncodedWords(unfolded, DecodeMonitor.SILENT)
            : unfolded;
        return CharMatcher.whitespace()
            .trimAndCollapseFrom(decoded, ' ')
            .toLowerCase(Locale.ROOT);
    }
}
