package org.relayguard.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whom delivery trusts: the JDK's certificate authorities, plus the private ones that
 * {@value #VARIABLE} names (a PEM file of CA certificates), for a smart host whose certificate a
 * private CA issued (an internal relay, the tests' next hops).
 *
 * <p>Why not {@code -Djavax.net.ssl.trustStore}: it replaces the JDK's CAs instead of adding to
 * them, so Exchange Online's certificate (DigiCert Global Root G2) would no longer verify. This
 * class keeps the JDK's trust as it is (including a {@code javax.net.ssl.trustStore} if one is
 * set) and adds the private CAs to it, in the JVM's default {@link SSLContext}, the one javax.mail
 * uses for STARTTLS. It is JVM-wide: a private CA is trusted on every route that verifies (in the
 * shipped configuration, only the Microsoft 365 route does).</p>
 */
public final class DeliveryTrust {
    public static final String VARIABLE = "RELAYGUARD_SMARTHOST_CA";
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryTrust.class);

    private DeliveryTrust() {
    }

    /**
     * Makes the default SSLContext trust the CAs of {@code caFile} besides the JDK's; nothing when
     * it is empty. A relative path is relative to the server root.
     *
     * @throws IOException naming the file when it cannot be read or holds no certificate
     */
    public static void install(Optional<String> caFile, Path serverRoot) throws IOException, GeneralSecurityException {
        Optional<Path> file = caFile.map(String::trim).filter(name -> !name.isEmpty()).map(serverRoot::resolve);
        if (file.isEmpty()) {
            return;
        }
        List<X509Certificate> privateCas = read(file.get());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustManager(jdkTrust().getAcceptedIssuers(), privateCas)}, null);
        SSLContext.setDefault(context);
        LOGGER.info("Delivery trusts the JDK's certificate authorities and {} of {}: {}", privateCas.size(), file.get(),
            privateCas.stream().map(ca -> ca.getSubjectX500Principal().getName()).collect(Collectors.joining("; ")));
    }

    static List<X509Certificate> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                .map(X509Certificate.class::cast)
                .collect(Collectors.toList());
            if (certificates.isEmpty()) {
                throw new IOException(VARIABLE + ": " + file + " holds no certificate");
            }
            return certificates;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(VARIABLE)) {
                throw e;
            }
            throw new IOException(VARIABLE + ": cannot read " + file + ": " + e, e);
        } catch (GeneralSecurityException e) {
            throw new IOException(VARIABLE + ": " + file + " is not a PEM file of certificates: " + e.getMessage(), e);
        }
    }

    /** The JDK's own trust, as it stands without this class: cacerts, or javax.net.ssl.trustStore. */
    static X509TrustManager jdkTrust() throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager) {
                return (X509TrustManager) manager;
            }
        }
        throw new GeneralSecurityException("the JDK has no X.509 trust manager");
    }

    /** A PKIX trust manager whose anchors are both lists. */
    static X509TrustManager trustManager(X509Certificate[] jdkCas, List<X509Certificate> privateCas) throws GeneralSecurityException {
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            anchors.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int index = 0;
        for (Certificate ca : jdkCas) {
            anchors.setCertificateEntry("jdk-" + index++, ca);
        }
        index = 0;
        for (Certificate ca : privateCas) {
            anchors.setCertificateEntry("smarthost-ca-" + index++, ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(anchors);
        return (X509TrustManager) factory.getTrustManagers()[0];
    }
}
