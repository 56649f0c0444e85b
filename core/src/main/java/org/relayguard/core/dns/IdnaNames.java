package org.relayguard.core.dns;

import java.net.IDN;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import com.google.common.base.Ascii;
import com.google.common.base.CharMatcher;

/**
 * Internationalized domain names as a client writes them (U-labels, RFC 5890) turned into the
 * A-label form James's {@code MailAddress}, the DomainList and the rules hold, strictly.
 *
 * <p>The JDK's {@link IDN} implements IDNA2003, while Exchange Online and today's resolvers follow
 * IDNA2008 / UTS 46. The two disagree on a few characters (ß, ς, the joiners ZWJ and ZWNJ become
 * other labels or nothing under IDNA2003) and IDNA2003 silently maps others (upper case, compatibility
 * forms, other dots). A name is taken only when it survives the round trip U-label → A-label →
 * U-label unchanged (ASCII letters compared without case) and holds none of the characters the two
 * standards treat differently; anything else is refused, so that two spellings the rules would see
 * as one name can never be two names downstream, or the reverse.</p>
 */
public final class IdnaNames {
    /** ß, ς, ZWNJ, ZWJ: deviation characters (UTS 46 section 4.6), whose IDNA2003 and IDNA2008 labels differ. */
    private static final CharMatcher DEVIATIONS = CharMatcher.anyOf("\u00DF\u03C2\u200C\u200D");
    private static final int MAX_NAME_LENGTH = 253;

    private IdnaNames() {
    }

    /**
     * The A-label form (lower case) of a domain name in U-label or ASCII form, or empty when the name
     * does not normalize cleanly (see the class comment). An ASCII name is returned lower-cased if it
     * is a valid host name, without conversion.
     */
    public static Optional<String> toALabels(String domain) {
        if (isAscii(domain)) {
            return domain.endsWith(".") ? Optional.empty() : DnsNames.canonical(domain);
        }
        if (DEVIATIONS.matchesAnyOf(domain)) {
            return Optional.empty();
        }
        String ascii;
        try {
            ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (ascii.isEmpty() || ascii.length() > MAX_NAME_LENGTH || ascii.endsWith(".")) {
            return Optional.empty();
        }
        String back = IDN.toUnicode(ascii, IDN.USE_STD3_ASCII_RULES);
        if (!Ascii.toLowerCase(back).equals(Ascii.toLowerCase(domain))) {
            return Optional.empty();
        }
        return DnsNames.canonical(ascii);
    }

    /** Whether the text has a character outside US-ASCII. */
    public static boolean isAscii(CharSequence text) {
        return CharMatcher.ascii().matchesAllOf(text);
    }

    /**
     * The text of a header value that javax.mail read byte per character (ISO-8859-1), decoded as the
     * UTF-8 it was on the wire (RFC 6532); empty when those bytes are not valid UTF-8. ASCII text is
     * returned as it is.
     */
    public static Optional<String> utf8FromLatin1(String text) {
        if (isAscii(text)) {
            return Optional.of(text);
        }
        if (!CharMatcher.inRange('\0', '\u00FF').matchesAllOf(text)) {
            // Already decoded (a reader that did read UTF-8): keep it.
            return Optional.of(text);
        }
        return strictUtf8(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The text these bytes are in UTF-8, or empty when they are not valid UTF-8 (no replacement characters). */
    public static Optional<String> strictUtf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
