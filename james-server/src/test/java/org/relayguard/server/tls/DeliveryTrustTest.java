package org.relayguard.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relayguard.server.SelfSignedCertificate;

class DeliveryTrustTest {
    @TempDir
    Path directory;

    private static X509Certificate selfSigned(String name) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        return SelfSignedCertificate.certificate(keys, List.of(name));
    }

    private static List<String> subjects(X509TrustManager trust) {
        return Arrays.stream(trust.getAcceptedIssuers()).map(ca -> ca.getSubjectX500Principal().getName()).collect(java.util.stream.Collectors.toList());
    }

    @Test
    void trustManagerShouldKeepTheJdkCasBesideThePrivateOnes() throws Exception {
        X509Certificate privateCa = selfSigned("smarthost-ca.relayguard.test");

        X509TrustManager trust = DeliveryTrust.trustManager(DeliveryTrust.jdkTrust().getAcceptedIssuers(), List.of(privateCa));

        // Exchange Online's chain ends at DigiCert Global Root G2, in the JDK's CAs.
        assertThat(subjects(trust)).contains("CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US", "CN=smarthost-ca.relayguard.test")
            .hasSize(DeliveryTrust.jdkTrust().getAcceptedIssuers().length + 1);
        trust.checkServerTrusted(new X509Certificate[] {privateCa}, "RSA");
        assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {selfSigned("unknown.relayguard.test")}, "RSA"))
            .isInstanceOf(CertificateException.class);
    }

    @Test
    void installShouldMakeTheDefaultContextTrustTheFileRelativeToTheServerRoot() throws Exception {
        X509Certificate privateCa = selfSigned("smarthost-ca.relayguard.test");
        Files.writeString(directory.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n"
            + java.util.Base64.getMimeEncoder().encodeToString(privateCa.getEncoded()) + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
        SSLContext before = SSLContext.getDefault();
        try {
            DeliveryTrust.install(Optional.of("ca.pem"), directory);

            assertThat(SSLContext.getDefault()).isNotSameAs(before);
        } finally {
            SSLContext.setDefault(before);
        }
    }

    @Test
    void installShouldDoNothingWithoutAFile() throws Exception {
        SSLContext before = SSLContext.getDefault();

        DeliveryTrust.install(Optional.of(" "), directory);
        DeliveryTrust.install(Optional.empty(), directory);

        assertThat(SSLContext.getDefault()).isSameAs(before);
    }

    @Test
    void readShouldNameTheVariableAndTheFileWhenItIsMissing() {
        Path missing = directory.resolve("missing.pem");

        assertThatThrownBy(() -> DeliveryTrust.read(missing))
            .isInstanceOf(IOException.class)
            .hasMessageStartingWith("RELAYGUARD_SMARTHOST_CA: cannot read " + missing);
    }

    @Test
    void readShouldNameTheFileWhenItHoldsNoCertificate() throws Exception {
        Path garbage = Files.writeString(directory.resolve("garbage.pem"), "not a certificate\n");

        assertThatThrownBy(() -> DeliveryTrust.read(garbage))
            .isInstanceOf(IOException.class)
            .hasMessageContaining("RELAYGUARD_SMARTHOST_CA")
            .hasMessageContaining(garbage.toString());
    }
}
