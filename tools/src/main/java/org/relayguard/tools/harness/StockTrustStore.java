package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * James's stock server does not read {@code RELAYGUARD_SMARTHOST_CA}: as docs/tls.md tells
 * operators of other James servers, it gets a trust store holding the JDK's CAs and the private
 * ones, as {@code javax.net.ssl.trustStore}.
 */
final class StockTrustStore {
    private static final String PASSWORD = "relayguard";

    private StockTrustStore() {
    }

    /** Writes the store into the server root; returns the JVM options that make it James's. */
    static List<String> write(Path root, Path privateCas) throws IOException {
        Path store = root.resolve("smarthost-truststore.p12");
        try {
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int index = 0;
            for (X509Certificate ca : ((X509TrustManager) jdk.getTrustManagers()[0]).getAcceptedIssuers()) {
                trust.setCertificateEntry("jdk-" + index++, ca);
            }
            try (InputStream in = Files.newInputStream(privateCas)) {
                for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    trust.setCertificateEntry("smarthost-ca-" + index++, ca);
                }
            }
            try (OutputStream out = Files.newOutputStream(store)) {
                trust.store(out, PASSWORD.toCharArray());
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        return List.of("-Djavax.net.ssl.trustStore=" + store, "-Djavax.net.ssl.trustStorePassword=" + PASSWORD,
            "-Djavax.net.ssl.trustStoreType=PKCS12");
    }
}
