package org.relayguard.smtp;

import java.util.Locale;
import java.util.Optional;

import org.relayguard.core.dns.IdnaNames;

import com.google.common.base.CharMatcher;

/**
 * The path of a MAIL FROM or RCPT TO argument with characters outside ASCII (RFC 6531), in the form
 * James's {@code MailAddress} takes: the domain as A-labels, a UTF-8 local part as a quoted string
 * (a dot-string and its quoted form are the same local part, RFC 5321 4.1.2). What cannot be
 * written so is refused, never passed on altered.
 */
final class Utf8Path {
    /** RFC 5322 atext, ASCII part. */
    private static final CharMatcher ATEXT = CharMatcher.inRange('a', 'z').or(CharMatcher.inRange('A', 'Z'))
        .or(CharMatcher.inRange('0', '9')).or(CharMatcher.anyOf("!#$%&'*+-/=?^_`{|}~")).precomputed();

    /** Why a path could not be taken. */
    enum Problem {
        /** Not {@code <local@domain>} as RFC 5321 and 6531 write it (source routes included). */
        SYNTAX,
        /** The domain is not a valid internationalized domain name ({@link IdnaNames#toALabels}). */
        DOMAIN
    }

    /** The argument rewritten for James, the UTF-8 address as the client wrote it, and the address as James will hold it. */
    static final class Rewritten {
        final String argument;
        final String utf8Address;
        final String jamesAddress;

        Rewritten(String argument, String utf8Address, String jamesAddress) {
            this.argument = argument;
            this.utf8Address = utf8Address;
            this.jamesAddress = jamesAddress;
        }
    }

    /** A rewritten argument or the problem that stops it. */
    static final class Result {
        final Optional<Rewritten> rewritten;
        final Optional<Problem> problem;

        private Result(Rewritten rewritten, Problem problem) {
            this.rewritten = Optional.ofNullable(rewritten);
            this.problem = Optional.ofNullable(problem);
        }
    }

    private Utf8Path() {
    }

    /**
     * Rewrites {@code FROM:<path> params} (or {@code TO:...}, {@code prefix} names which) whose path
     * has characters outside ASCII; the parameters are kept as written.
     */
    static Result rewrite(String prefix, String argument) {
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return new Result(null, Problem.SYNTAX);
        }
        int open = prefix.length();
        while (open < argument.length() && argument.charAt(open) == ' ') {
            open++;
        }
        if (open >= argument.length() || argument.charAt(open) != '<') {
            return new Result(null, Problem.SYNTAX);
        }
        int close = endOfPath(argument, open + 1);
        if (close < 0) {
            return new Result(null, Problem.SYNTAX);
        }
        String path = argument.substring(open + 1, close);
        int at = path.lastIndexOf('@');
        if (at <= 0 || at == path.length() - 1) {
            return new Result(null, Problem.SYNTAX);
        }
        Optional<String> localPart = jamesLocalPart(path.substring(0, at));
        if (localPart.isEmpty()) {
            return new Result(null, Problem.SYNTAX);
        }
        Optional<String> domain = IdnaNames.toALabels(path.substring(at + 1));
        if (domain.isEmpty()) {
            return new Result(null, Problem.DOMAIN);
        }
        String jamesAddress = localPart.get() + "@" + domain.get();
        String rewritten = argument.substring(0, prefix.length()) + "<" + jamesAddress + ">" + argument.substring(close + 1);
        return new Result(new Rewritten(rewritten, path, jamesAddress), null);
    }

    /** Whether the parameters after the path name {@code SMTPUTF8} (a keyword without value). */
    static boolean declaresSmtpUtf8(String argument) {
        int open = argument.indexOf('<');
        // Without brackets (refused later as a syntax error) the parameters start after the path's space.
        int close = open < 0 ? argument.indexOf(' ') : endOfPath(argument, open + 1);
        String parameters = close < 0 ? "" : argument.substring(close + 1);
        for (String parameter : parameters.trim().split(" +")) {
            if (parameter.toUpperCase(Locale.ROOT).equals(SmtpUtf8.KEYWORD)) {
                return true;
            }
        }
        return false;
    }

    /** The index of the {@code >} that ends the path, past a quoted local part; -1 if none. */
    private static int endOfPath(String argument, int start) {
        int i = start;
        if (i < argument.length() && argument.charAt(i) == '"') {
            i++;
            while (i < argument.length() && argument.charAt(i) != '"') {
                i += argument.charAt(i) == '\\' ? 2 : 1;
            }
            i++;
        }
        return i > argument.length() ? -1 : argument.indexOf('>', i);
    }

    /**
     * A quoted local part as it is (James checks it); a dot-string of ASCII atext and UTF-8
     * characters (RFC 6531 {@code Atom}) quoted; anything else empty.
     */
    private static Optional<String> jamesLocalPart(String localPart) {
        if (localPart.startsWith("\"")) {
            return localPart.length() > 1 && localPart.endsWith("\"") ? Optional.of(localPart) : Optional.empty();
        }
        if (localPart.startsWith(".") || localPart.endsWith(".") || localPart.contains("..")) {
            return Optional.empty();
        }
        for (int i = 0; i < localPart.length(); i++) {
            char c = localPart.charAt(i);
            if (c != '.' && !ATEXT.matches(c) && !isUtf8Text(localPart.codePointAt(i))) {
                return Optional.empty();
            }
        }
        if (IdnaNames.isAscii(localPart)) {
            return Optional.of(localPart);
        }
        return Optional.of("\"" + localPart + "\"");
    }

    /** A character outside ASCII that may stand in an address: no control, space, format or unassigned one. */
    private static boolean isUtf8Text(int codePoint) {
        if (codePoint < 0x80 || codePoint == 0xFFFD) {
            return false;
        }
        int type = Character.getType(codePoint);
        return type != Character.CONTROL && type != Character.SPACE_SEPARATOR && type != Character.LINE_SEPARATOR
            && type != Character.PARAGRAPH_SEPARATOR && type != Character.FORMAT && type != Character.UNASSIGNED
            && type != Character.PRIVATE_USE;
    }
}
