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
    private HeaderValues() {
    }

    static String normalise(String raw) {
        String decoded = DecoderUtil.decodeEncodedWords(MimeUtil.unfold(raw), DecodeMonitor.SILENT);
        return CharMatcher.whitespace()
            .trimAndCollapseFrom(decoded, ' ')
            .toLowerCase(Locale.ROOT);
    }
}
