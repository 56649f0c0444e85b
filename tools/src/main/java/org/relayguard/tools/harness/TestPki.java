package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates of the tests and the demo, made at run time (no private key is committed), one
 * authority per real part so that each has an identity of its own:
 * <ul>
 *   <li>{@link #gatewayCa()} issues the gateway's listener certificate ({@link #gateway()}), as a
 *       public CA would; the tests' SMTP clients trust it, as Exchange Online trusts public CAs.</li>
 *   <li>{@link #smartHostCa()} is the operator's private CA ({@code RELAYGUARD_SMARTHOST_CA}): it
 *       issues the Microsoft 365 smart host's certificate ({@link #m365SmartHost()}).</li>
 *   <li>{@link #internetCa()} is one that James trusts nowhere: it issues the internet next hop's
 *       certificate ({@link #internetHop()}), which opportunistic TLS accepts anyway.</li>
 * </ul>
 * Files are written under one temporary directory, removed when the JVM ends.
 */
public final class TestPki {
    /** The name on the gateway's certificate, which clients check as Exchange Online's TlsDomain does. */
    public static final String GATEWAY_NAME = "gateway.relayguard.test";
    /** The name James connects to for the Microsoft 365 smart host: it resolves to loopback for James's DNS and the JDK. */
    public static final String M365_SMARTHOST_NAME = "localhost";
    public static final String INTERNET_HOP_NAME = "mx.internet.test";
    private static final Duration VALIDITY = Duration.ofDays(30);
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestPki() {
    }

    /** A certificate authority. */
    public static final class Authority {
        public final String name;
        private final KeyPair keys;
        public final X509Certificate certificate;
        private Path pemFile;

        private Authority(String name) {
            this.name = name;
            this.keys = newKeyPair();
            X500Name subject = new X500Name("CN=" + name);
            this.certificate = sign(subject, keys, subject, keys.getPrivate(), List.of(), true);
        }

        /** A certificate for these names (DNS names or IP addresses), issued by this authority. */
        public Identity issue(String... names) {
            KeyPair leaf = newKeyPair();
            X509Certificate certificate = sign(new X500Name("CN=" + names[0]), leaf,
                X500Name.getInstance(this.certificate.getSubjectX500Principal().getEncoded()), keys.getPrivate(), List.of(names), false);
            return new Identity(leaf.getPrivate(), List.of(certificate, this.certificate));
        }

        /** This authority's certificate as a PEM file (written once). */
        public synchronized Path pemFile() {
            if (pemFile == null) {
                pemFile = write(name.replaceAll("[^A-Za-z0-9]+", "-").toLowerCase() + ".pem", pem(List.of(certificate)));
            }
            return pemFile;
        }

        /** A client context that trusts this authority only. */
        public SSLContext clientContext() {
            return trusting(List.of(certificate));
        }
    }

    /** A key and its certificate chain (the certificate first, then its issuer). */
    public static final class Identity {
        public final PrivateKey key;
        public final List<X509Certificate> chain;

        private Identity(PrivateKey key, List<X509Certificate> chain) {
            this.key = key;
            this.chain = List.copyOf(chain);
        }

        public X509Certificate certificate() {
            return chain.get(0);
        }

        /** The PEM files James reads: the key (PKCS#8) and the chain. */
        public void writePem(Path keyFile, Path chainFile) throws IOException {
            Files.createDirectories(keyFile.toAbsolutePath().getParent());
            Files.createDirectories(chainFile.toAbsolutePath().getParent());
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
            Files.writeString(chainFile, pem(chain), StandardCharsets.US_ASCII);
        }

        /** As {@link #writePem}, the key encrypted with this password (PKCS#8, AES-256-CBC). */
        public void writeEncryptedPem(Path keyFile, Path chainFile, String password) throws IOException {
            writePem(keyFile, chainFile);
            try {
                OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setProvider(new BouncyCastleProvider())
                    .setRandom(new SecureRandom())
                    .setPassword(password.toCharArray())
                    .build();
                StringWriter pem = new StringWriter();
                try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                    writer.writeObject(new JcaPKCS8Generator(key, encryptor));
                }
                Files.writeString(keyFile, pem.toString(), StandardCharsets.US_ASCII);
            } catch (OperatorCreationException e) {
                throw new IOException(e);
            }
        }

        /** A PKCS12 key store holding the key and the chain, protected by this password. */
        public void writePkcs12(Path file, String password) throws IOException {
            try (OutputStream out = Files.newOutputStream(file)) {
                keyStore(password).store(out, password.toCharArray());
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }

        /** A server context presenting this identity. */
        public SSLContext serverContext() {
            try {
                KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keyManagers.init(keyStore("changeit"), "changeit".toCharArray());
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(keyManagers.getKeyManagers(), null, null);
                return context;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private KeyStore keyStore(String password) throws GeneralSecurityException, IOException {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("identity", key, password.toCharArray(), chain.toArray(Certificate[]::new));
            return store;
        }
    }

    private static final class Holder {
        static final Path DIRECTORY = directory();
        static final Authority GATEWAY_CA = new Authority("Relay Guard Test Gateway CA");
        static final Authority SMARTHOST_CA = new Authority("Relay Guard Test Smart Host CA");
        static final Authority INTERNET_CA = new Authority("Relay Guard Test Internet CA");
        static final Identity GATEWAY = GATEWAY_CA.issue(GATEWAY_NAME, "localhost", "127.0.0.1");
        static final Identity M365_SMARTHOST = SMARTHOST_CA.issue(M365_SMARTHOST_NAME);
        static final Identity INTERNET_HOP = INTERNET_CA.issue(INTERNET_HOP_NAME);
    }

    public static Authority gatewayCa() {
        return Holder.GATEWAY_CA;
    }

    public static Authority smartHostCa() {
        return Holder.SMARTHOST_CA;
    }

    public static Authority internetCa() {
        return Holder.INTERNET_CA;
    }

    /** The gateway's listener certificate: {@value #GATEWAY_NAME}, localhost and 127.0.0.1, by the gateway CA. */
    public static Identity gateway() {
        return Holder.GATEWAY;
    }

    /** The Microsoft 365 smart host's certificate: {@value #M365_SMARTHOST_NAME}, by the private smart host CA. */
    public static Identity m365SmartHost() {
        return Holder.M365_SMARTHOST;
    }

    /** The internet next hop's certificate: {@value #INTERNET_HOP_NAME}, by a CA that James does not trust. */
    public static Identity internetHop() {
        return Holder.INTERNET_HOP;
    }

    /** A new authority, for a test that needs one more (a renewed certificate, a second "public" CA). */
    public static Authority newAuthority(String name) {
        return new Authority(name);
    }

    /** A client context that trusts exactly these certificates (authorities, or a self-signed one). */
    public static SSLContext trusting(List<X509Certificate> anchors) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("anchor-" + i, anchors.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file in this JVM's certificate directory. */
    public static Path write(String fileName, String content) {
        try {
            return Files.writeString(Holder.DIRECTORY.resolve(fileName), content, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String pem(List<X509Certificate> certificates) {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                pem.append(pem("CERTIFICATE", certificate.getEncoded()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return pem.toString();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, PrivateKey issuerKey,
                                        List<String> names, boolean authority) {
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
            if (authority) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                List<GeneralName> alternativeNames = new ArrayList<>();
                for (String name : names) {
                    boolean address = name.matches("[0-9.]+");
                    alternativeNames.add(new GeneralName(address ? GeneralName.iPAddress : GeneralName.dNSName, name));
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternativeNames.toArray(GeneralName[]::new)));
            }
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
        } catch (OperatorCreationException | CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path directory() {
        try {
            Path directory = Files.createTempDirectory("relayguard-pki-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var files = Files.list(directory)) {
                    files.forEach(file -> file.toFile().delete());
                } catch (IOException ignored) {
                    // a temporary directory
                }
                directory.toFile().delete();
            }, "remove-test-pki"));
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
