package org.relayguard.webadmin.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * The RSA key pair that signs webadmin tokens: the private key at {@link #PRIVATE_KEY} (PKCS#8,
 * readable by its owner only), the public key James verifies with at {@link #PUBLIC_KEY}
 * ({@code jwt.publickeypem.url} in the shipped {@code webadmin.properties}), both under the James root.
 */
public final class WebAdminKeys {
    public static final Path PRIVATE_KEY = Path.of("conf", "webadmin", "jwt-private.pem");
    public static final Path PUBLIC_KEY = Path.of("conf", "webadmin", "jwt-public.pem");
    private static final int BITS = 2048;

    private WebAdminKeys() {
    }

    /** Makes the pair under {@code root} unless its private key exists; says whether it made one. */
    public static boolean makeIfAbsent(Path root) throws IOException, GeneralSecurityException {
        Path privateKey = root.resolve(PRIVATE_KEY);
        if (Files.exists(privateKey)) {
            return false;
        }
        if (Files.exists(root.resolve(PUBLIC_KEY))) {
            throw new IOException(root.resolve(PUBLIC_KEY) + " exists without its private key " + privateKey + ": move it away");
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(BITS);
        KeyPair pair = generator.generateKeyPair();
        Files.createDirectories(privateKey.getParent());
        writeOwnerOnly(privateKey, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(root.resolve(PUBLIC_KEY), pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.US_ASCII,
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return true;
    }

    public static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String base64 = text.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static void writeOwnerOnly(Path file, String text) throws IOException {
        // Created with its final permissions: never readable by others, not even for a moment.
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(file + " appeared while it was being made", e);
        }
        Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            file.toFile().setReadable(false, false);
            file.toFile().setReadable(true, true);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }
}
