package org.relayguard.tools.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Webadmin authentication as the shipped {@code webadmin.properties} has it ({@code jwt.enabled}):
 * an RSA key pair where it reads the public key, {@code conf/webadmin/jwt-public.pem} (the private
 * key beside it, as the server's first start writes them), and RS256 tokens with the claims James
 * checks ({@code sub}, {@code admin: true}).
 */
public final class WebAdminJwt {
    public static final String PRIVATE_KEY = "conf/webadmin/jwt-private.pem";
    public static final String PUBLIC_KEY = "conf/webadmin/jwt-public.pem";
    public static final String ADMIN = "admin@relayguard.test";

    private final PrivateKey key;

    private WebAdminJwt(PrivateKey key) {
        this.key = key;
    }

    /** A new key pair, written over the one of a server root. */
    public static WebAdminJwt install(Path root) throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Files.createDirectories(root.resolve(PRIVATE_KEY).getParent());
        Files.writeString(root.resolve(PRIVATE_KEY), pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(root.resolve(PRIVATE_KEY), PosixFilePermissions.fromString("rw-------"));
        Files.writeString(root.resolve(PUBLIC_KEY), pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.US_ASCII);
        return new WebAdminJwt(pair.getPrivate());
    }

    /** The key pair a server root holds (made by {@link #install} or by the server's first start). */
    public static WebAdminJwt of(Path root) throws IOException, GeneralSecurityException {
        String base64 = Files.readString(root.resolve(PRIVATE_KEY), StandardCharsets.US_ASCII)
            .replaceAll("-----[A-Z ]+-----", "")
            .replaceAll("\\s", "");
        return new WebAdminJwt(KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64))));
    }

    /** Gives a prepared (not started) server a new key pair, and its client a token of it. */
    public static WebAdminJwt enable(JamesServer james) throws IOException, GeneralSecurityException {
        WebAdminJwt jwt = install(james.root());
        james.useWebAdminToken(jwt.token(ADMIN, true));
        return jwt;
    }

    public String token(String subject, boolean admin) throws GeneralSecurityException {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String header = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = base64.encodeToString(("{\"sub\":\"" + subject + "\",\"admin\":" + admin + "}").getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + base64.encodeToString(signature.sign());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }
}
