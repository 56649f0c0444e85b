package org.relayguard.smtp;

import java.util.Optional;

/**
 * Decodes the {@code xtext} of RFC 3461 section 4, in which ESMTP parameter values travel:
 * printable US-ASCII except {@code +} and {@code =} as is, any other octet as {@code +} and two
 * hex digits. Exchange writes the XOORG value this way.
 *
 * <p>Only US-ASCII is decoded: a domain needs nothing else, so an encoded octet above 0x7F counts
 * as malformed, as does a {@code +} without two hex digits or a character xtext does not allow.
 * Values carried on rather than read (ENVID, ORCPT) are only checked, any octet allowed
 * ({@link #canonical}).</p>
 */
final class Xtext {
    private static final int HEX_DIGITS = 2;

    private Xtext() {
    }

    static Optional<String> decode(String xtext) {
        return scan(xtext, true);
    }

    /**
     * Well-formed xtext, whatever octets it encodes, with its hex digits in RFC 3461's upper case
     * ({@code +2b} becomes {@code +2B}); empty when the text is not xtext. For values that are
     * carried on encoded (ENVID, ORCPT) rather than read.
     */
    static Optional<String> canonical(String xtext) {
        return scan(xtext, false);
    }

    /** The decoded text (US-ASCII octets only) or, with {@code decode} false, the canonical xtext. */
    private static Optional<String> scan(String xtext, boolean decode) {
        StringBuilder result = new StringBuilder(xtext.length());
        int i = 0;
        while (i < xtext.length()) {
            char c = xtext.charAt(i);
            if (c == '+') {
                Optional<Integer> octet = hexOctet(xtext, i + 1);
                if (octet.isEmpty() || (decode && octet.get() > 0x7F)) {
                    return Optional.empty();
                }
                if (decode) {
                    result.append((char) octet.get().intValue());
                } else {
                    result.append('+').append(String.format("%02X", octet.get()));
                }
                i += 1 + HEX_DIGITS;
            } else if (isXchar(c)) {
                result.append(c);
                i++;
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(result.toString());
    }

    private static boolean isXchar(char c) {
        return c >= '!' && c <= '~' && c != '=';
    }

    private static Optional<Integer> hexOctet(String xtext, int from) {
        if (from + HEX_DIGITS > xtext.length()) {
            return Optional.empty();
        }
        char highDigit = xtext.charAt(from);
        char lowDigit = xtext.charAt(from + 1);
        int high = highDigit < 0x80 ? Character.digit(highDigit, 16) : -1;
        int low = lowDigit < 0x80 ? Character.digit(lowDigit, 16) : -1;
        if (high < 0 || low < 0) {
            return Optional.empty();
        }
        return Optional.of(high * 16 + low);
    }
}
