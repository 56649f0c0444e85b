package org.relayguard.webadmin.access;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * {@code bin/relayguard-token}: prints a webadmin token (an RS256 JWT with the claims James's
 * {@code JwtFilter} requires, {@code sub} and {@code admin: true}, and an expiry), signed with
 * the private key of {@link WebAdminKeys}; makes the key pair first when it is absent.
 * {@code --init} only makes the pair (the server's first start). Run in the James root.
 *
 * <pre>relayguard-token [--subject NAME] [--hours N] | --init</pre>
 */
public final class TokenCommand {
    static final String DEFAULT_SUBJECT = "operator";
    static final long DEFAULT_HOURS = 12;
    private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    private TokenCommand() {
    }

    public static void main(String[] args) throws Exception {
        try {
            System.exit(run(args, Path.of("")));
        } catch (IllegalArgumentException e) {
            System.err.println("relayguard-token: " + e.getMessage());
            System.exit(2);
        }
    }

    static int run(String[] args, Path root) throws Exception {
        String subject = DEFAULT_SUBJECT;
        long hours = DEFAULT_HOURS;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--init":
                    if (WebAdminKeys.makeIfAbsent(root)) {
                        System.err.println("relayguard: made the webadmin token key pair " + root.resolve(WebAdminKeys.PRIVATE_KEY)
                            + " (owner only) and " + root.resolve(WebAdminKeys.PUBLIC_KEY) + "; bin/relayguard-token prints a token");
                    }
                    return 0;
                case "--subject":
                    subject = value(args, ++i, "--subject");
                    if (!SUBJECT.matcher(subject).matches()) {
                        throw new IllegalArgumentException("--subject takes letters, digits and . _ @ - (at most 64)");
                    }
                    break;
                case "--hours":
                    hours = hours(value(args, ++i, "--hours"));
                    break;
                default:
                    throw new IllegalArgumentException("usage: relayguard-token [--subject NAME] [--hours N] | --init");
            }
        }
        if (!Files.isDirectory(root.resolve("conf"))) {
            throw new IllegalArgumentException("no conf/ here: run it in the James root (or set RELAYGUARD_ROOT)");
        }
        if (WebAdminKeys.makeIfAbsent(root)) {
            System.err.println("relayguard-token: made the key pair " + root.resolve(WebAdminKeys.PRIVATE_KEY)
                + "; James reads its public key when it starts: restart it before using this token");
        }
        PrivateKey key = WebAdminKeys.readPrivateKey(root.resolve(WebAdminKeys.PRIVATE_KEY));
        System.out.println(token(key, subject, Instant.now(), Duration.ofHours(hours)));
        return 0;
    }

    static String token(PrivateKey key, String subject, Instant now, Duration validity) throws GeneralSecurityException {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String header = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = base64.encodeToString(String.format("{\"sub\":\"%s\",\"admin\":true,\"iat\":%d,\"exp\":%d}",
            subject, now.getEpochSecond(), now.plus(validity).getEpochSecond()).getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + base64.encodeToString(signature.sign());
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static long hours(String value) {
        try {
            long hours = Long.parseLong(value);
            if (hours >= 1 && hours <= 24 * 366) {
                return hours;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("--hours takes a whole number of hours from 1 to 8784");
    }
}
