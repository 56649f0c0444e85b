package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.harness.WebAdmin;

/**
 * The listeners' certificate as an operator handles it, on a real James: PEM (its key encrypted,
 * the password in the environment) or PKCS12, renewed with webadmin's
 * {@code POST /servers?reload-certificate}; and a file James cannot use stops it with a message
 * naming the file.
 */
class TlsCertificateTest {
    private static final String SECRET = "correct horse battery staple";

    /** The certificate a new STARTTLS session on the direct listener gets. */
    private static X509Certificate servedCertificate(JamesServer james) throws Exception {
        try (SmtpClient client = SmtpClient.connect(james.smtpPort(), Optional.empty(), Optional.empty())) {
            client.startTls(TestPki.gatewayCa().clientContext(), TestPki.GATEWAY_NAME);
            return (X509Certificate) client.tls().orElseThrow().getPeerCertificates()[0];
        }
    }

    private static X509Certificate servedCertificateBehindProxy(JamesServer james) throws Exception {
        try (SmtpClient client = SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR))) {
            client.startTls(TestPki.gatewayCa().clientContext(), TestPki.GATEWAY_NAME);
            return (X509Certificate) client.tls().orElseThrow().getPeerCertificates()[0];
        }
    }

    @Test
    void aMissingKeyStopsJamesNamingTheFile() throws Exception {
        try (JamesServer james = JamesServer.builder().gatewayCertificate(false).prepare()) {
            String log = james.startExpectingFailure();

            assertThat(log)
                .contains("listener smtpserver-global: tls.privateKey " + james.root().resolve(JamesServer.TLS_KEY) + ": no such file")
                .contains("Fatal error while starting James");
        }
    }

    @Test
    void anUnreadableCertificateStopsJamesNamingTheFile() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            Path certificates = james.root().resolve(JamesServer.TLS_CERTIFICATES);
            Files.writeString(certificates, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

            String log = james.startExpectingFailure();

            assertThat(log)
                .contains("listener smtpserver-global: cannot load tls.privateKey " + james.root().resolve(JamesServer.TLS_KEY)
                    + " with tls.certificates " + certificates + ": ")
                .contains("Fatal error while starting James");
        }
    }

    @Test
    void anEncryptedPemKeyIsReadWithTheSecretFromTheEnvironmentAndARenewedCertificateIsServedAfterAReload() throws Exception {
        try (JamesServer james = JamesServer.builder().env("RELAYGUARD_TLS_SECRET", SECRET).prepare()) {
            Path key = james.root().resolve(JamesServer.TLS_KEY);
            Path chain = james.root().resolve(JamesServer.TLS_CERTIFICATES);
            TestPki.gateway().writeEncryptedPem(key, chain, SECRET);
            assertThat(Files.readString(key)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
            assertThat(Files.readString(james.conf("smtpserver.xml"))).as("no secret in the XML").doesNotContain(SECRET);
            james.start();
            assertThat(servedCertificate(james)).isEqualTo(TestPki.gateway().certificate());

            // Renewal: new files in place; James serves the old certificate until told to reload.
            TestPki.Identity renewed = TestPki.gatewayCa().issue(TestPki.GATEWAY_NAME, "localhost", "127.0.0.1");
            renewed.writeEncryptedPem(key, chain, SECRET);
            assertThat(servedCertificate(james)).isEqualTo(TestPki.gateway().certificate());
            assertThat(james.webAdmin().reloadCertificates(Optional.empty()).status).isEqualTo(204);
            assertThat(servedCertificate(james)).isEqualTo(renewed.certificate());
            assertThat(servedCertificateBehindProxy(james)).as("both listeners reload").isEqualTo(renewed.certificate());

            // A renewal gone wrong: the reload fails and the listeners keep what they had.
            Files.writeString(chain, "not a certificate\n");
            WebAdmin.Response failed = james.webAdmin().reloadCertificates(Optional.empty());
            assertThat(failed.status).as("reload of an unreadable file: %s", failed.body).isNotEqualTo(204);
            assertThat(servedCertificate(james)).isEqualTo(renewed.certificate());
            assertThat(TransportMail.INBOUND.send(james, "after-failed-reload").code).isEqualTo(250);
        }
    }

    /** PKCS12 as docs/tls.md says: the privateKey and certificates lines replaced by keystore and keystoreType. */
    @Test
    void aPkcs12KeyStoreServesItsCertificateAndAWrongPasswordStopsJamesNamingTheFile() throws Exception {
        String pkcs12 = "<keystore>file://${env:RELAYGUARD_TLS_KEYSTORE:-conf/tls/gateway.p12}</keystore>\n"
            + "            <keystoreType>PKCS12</keystoreType>";
        TestPki.Identity identity = TestPki.gatewayCa().issue(TestPki.GATEWAY_NAME);
        Path store = TestPki.write("gateway-" + System.nanoTime() + ".p12", "");
        identity.writePkcs12(store, SECRET);
        for (String secret : List.of(SECRET, "wrong password")) {
            try (JamesServer james = JamesServer.builder()
                     .gatewayCertificate(false)
                     .env("RELAYGUARD_TLS_KEYSTORE", store.toString())
                     .env("RELAYGUARD_TLS_SECRET", secret)
                     .prepare()) {
                Path smtpserver = james.conf("smtpserver.xml");
                String shipped = Files.readString(smtpserver, StandardCharsets.UTF_8);
                String pem = "<privateKey>file://${env:RELAYGUARD_TLS_KEY:-conf/tls/privkey.pem}</privateKey>\n"
                    + "            <certificates>file://${env:RELAYGUARD_TLS_CERT:-conf/tls/fullchain.pem}</certificates>";
                assertThat(shipped.split(java.util.regex.Pattern.quote(pem), -1)).as("both listeners' PEM lines").hasSize(3);
                Files.writeString(smtpserver, shipped.replace(pem, pkcs12), StandardCharsets.UTF_8);

                if (secret.equals(SECRET)) {
                    james.start();
                    assertThat(servedCertificate(james)).isEqualTo(identity.certificate());
                } else {
                    assertThat(james.startExpectingFailure())
                        .contains("listener smtpserver-global: cannot load tls.keystore " + store + ": ")
                        .contains("Fatal error while starting James");
                }
            }
        }
    }

    @Test
    void anUnreadableSmartHostCaStopsJamesNamingTheFile() throws Exception {
        Path missing = Path.of("/nonexistent/relayguard/smarthost-ca.pem");
        try (JamesServer james = JamesServer.builder().env("RELAYGUARD_SMARTHOST_CA", missing.toString()).prepare()) {
            String log = james.startExpectingFailure();

            assertThat(log).contains("Fatal error while starting James: RELAYGUARD_SMARTHOST_CA: cannot read " + missing);
        }
    }
}
