package org.relayguard.smtp;

import java.util.Optional;

/**
 * Decodes the {@code xtext} of RFC 3461 section 4, in which ESMTP parameter values travel:
 * printable US-ASCII except {@code +} and {@code =} as is, any other octet as {@code +} and two
 * hex digits. Exchange writes the XOORG value this way.
 *
 * <p>Only US-ASCII is decoded: a domain needs nothing else, so an encoded octet above 0x7F counts
 * as malformed, as does a {@code +} without two hex digits or a character xtext does not allow.</p>
 */
final class Xtext {
    private static final int HEX_DIGITS = 2;

    private Xtext() {
    }

    static Optional<String> decode(String xtext) {
        StringBuilder decoded = new StringBuilder(xtext.length());
        int i = 0;
        while (i < xtext.length()) {
            char c = xtext.charAt(i);
            if (c == '+') {
                Optional<Character> octet = hexOctet(xtext, i + 1);
                if (octet.isEmpty()) {
                    return Optional.empty();
                }
                decoded.append(octet.get());
                i += 1 + HEX_DIGITS;
            } else if (isXchar(c)) {
                decoded.append(c);
                i++;
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(decoded.toString());
    }

    /**
     * Well-formed xtext, whatever octets it encodes, with its hex digits in RFC 3461's upper case
     * ({@code +2b} becomes {@code +2B}); empty when the text is not xtext. For values that are
     * carried on encoded (ENVID, ORCPT) rather than read.
     */
    static Optional<String> canonical(String xtext) {
        StringBuilder canonical = new StringBuilder(xtext.length());
        int i = 0;
        while (i < xtext.length()) {
            char c = xtext.charAt(i);
            if (c == '+') {
                if (i + HEX_DIGITS >= xtext.length() || !isHex(xtext.charAt(i + 1)) || !isHex(xtext.charAt(i + 2))) {
                    return Optional.empty();
                }
                canonical.append('+').append(Character.toUpperCase(xtext.charAt(i + 1))).append(Character.toUpperCase(xtext.charAt(i + 2)));
                i += 1 + HEX_DIGITS;
            } else if (isXchar(c)) {
                canonical.append(c);
                i++;
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(canonical.toString());
    }

    private static boolean isHex(char c) {
        return c < 0x80 && Character.digit(c, 16) >= 0;
    }

    private static boolean isXchar(char c) {
        return c >= '!' && c <= '~' && c != '=';
    }

    private static Optional<Character> hexOctet(String xtext, int from) {
        if (from + HEX_DIGITS > xtext.length()) {
            return Optional.empty();
        }
        int high = Character.digit(xtext.charAt(from), 16);
        int low = Character.digit(xtext.charAt(from + 1), 16);
        if (high < 0 || low < 0) {
            return Optional.empty();
        }
        int octet = high * 16 + low;
        if (octet > 0x7F) {
            return Optional.empty();
        }
        return Optional.of((char) octet);
    }
}
