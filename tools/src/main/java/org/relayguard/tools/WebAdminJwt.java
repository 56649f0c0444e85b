package org.relayguard.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;

/**
 * Webadmin authentication as an operator turns it on: an RSA key pair, the public key in
 * {@code conf/}, {@code jwt.enabled=true} in {@code webadmin.properties}, and an RS256 token whose
 * claims James checks ({@code sub}, {@code admin: true}).
 */
public final class WebAdminJwt {
    private final KeyPair keys;

    private WebAdminJwt(KeyPair keys) {
        this.keys = keys;
    }

    public static WebAdminJwt generate() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return new WebAdminJwt(generator.generateKeyPair());
    }

    /** Turns authentication on in a prepared (not started) server, and gives its client the token. */
    public void enable(JamesServer james) throws IOException, GeneralSecurityException {
        String pem = "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
        Files.writeString(james.conf("jwt_publickey"), pem, StandardCharsets.US_ASCII);
        Files.writeString(james.conf("webadmin.properties"),
            "\njwt.enabled=true\njwt.publickeypem.url=file://conf/jwt_publickey\n",
            StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        james.useWebAdminToken(token("admin@relayguard.test", true));
    }

    public String token(String subject, boolean admin) throws GeneralSecurityException {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String header = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = base64.encodeToString(("{\"sub\":\"" + subject + "\",\"admin\":" + admin + "}").getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(keys.getPrivate());
        signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + base64.encodeToString(signature.sign());
    }
}
