package org.relayguard.server;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for the SMTP listeners' first start, when the operator has configured
 * none ({@code run.sh} calls it): a client that checks certificates (Exchange Online with TLS
 * validation) will refuse it, so it only lets STARTTLS work until the real certificate is in place.
 * Writes the PEM key (PKCS#8, readable by its owner only) and the PEM certificate that
 * {@code smtpserver.xml} reads by default.
 *
 * <pre>java -cp 'lib/*' org.relayguard.server.SelfSignedCertificate conf/tls/privkey.pem conf/tls/fullchain.pem gateway.example.com</pre>
 */
public final class SelfSignedCertificate {
    static final Duration VALIDITY = Duration.ofDays(365);
    private static final String USAGE = "usage: SelfSignedCertificate KEY_FILE CERTIFICATE_FILE HOST_NAME [HOST_NAME...]";

    private SelfSignedCertificate() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println(USAGE);
            System.exit(2);
        }
        List<String> names = List.of(args).subList(2, args.length);
        write(Path.of(args[0]), Path.of(args[1]), names);
        System.out.println("Self-signed certificate for " + String.join(", ", names) + ": " + args[1] + ", key " + args[0]);
    }

    static void write(Path keyFile, Path certificateFile, List<String> names) throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        X509Certificate certificate = certificate(keys, names);
        for (Path file : List.of(keyFile, certificateFile)) {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
        }
        Files.deleteIfExists(keyFile);
        Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
    }

    /** The certificate alone, in memory: what {@link #main} writes, and the certificate authorities of the TLS tests. */
    public static X509Certificate certificate(KeyPair keys, List<String> names) throws GeneralSecurityException, IOException {
        X500Name subject = new X500Name("CN=" + names.get(0));
        Instant now = Instant.now();
        List<GeneralName> alternativeNames = new ArrayList<>();
        for (String name : names) {
            boolean address = name.matches("[0-9.]+") || name.contains(":");
            alternativeNames.add(new GeneralName(address ? GeneralName.iPAddress : GeneralName.dNSName, name));
        }
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternativeNames.toArray(GeneralName[]::new)));
            return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        } catch (OperatorCreationException | CertIOException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }
}
