package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.run.RunRoot;
import org.relayguard.tools.run.RunSummary;

/**
 * What {@code ./run.sh} says once James is up, on a run/ laid out from the built server: each setting
 * as James takes it (the environment, else the conf file's default), the certificate's owner and issuer.
 */
class RunSummaryTest {
    private static final Path SERVER = JamesServer.defaultServerDir();

    @TempDir
    Path root;

    @BeforeEach
    void layOut() throws IOException {
        new RunRoot(root, SERVER, "hardened").layOut();
    }

    @Test
    void theShippedDefaultsAreShownWhenTheEnvironmentSetsNothing() throws IOException {
        String summary = summary(Map.of());

        assertThat(summary)
            .contains("Relay Guard is running on Apache James 3.8.1: hardened profile, audit mode.")
            .contains("  Relays to    M365: contoso-com.mail.protection.outlook.com, internet: MX lookup")
            .contains("  Certificate  see conf/smtpserver.xml")
            .contains("  Webadmin     http://127.0.0.1:8000")
            .contains("  Quarantine   " + root + "/var/mail/m365-relaydeny/")
            .containsPattern("  Extension    .*relayguard-core-\\S+\\.jar.*relayguard-webadmin-\\S+\\.jar");
    }

    @Test
    void theEnvironmentWinsOverTheConfFile() throws IOException {
        String summary = summary(Map.of(
            "RELAYGUARD_OUTBOUND_GATEWAY", "gw.example.net:2525",
            "RELAYGUARD_M365_SMARTHOST", "fabrikam-com.mail.protection.outlook.com",
            "RELAYGUARD_WEBADMIN_PORT", "8123",
            "RELAYGUARD_SMTP_BIND", "127.0.0.1:2600"));

        assertThat(summary)
            .contains("  Relays to    M365: fabrikam-com.mail.protection.outlook.com, internet: gw.example.net:2525")
            .contains("  SMTP         127.0.0.1:2600 (PROXY protocol: see conf), STARTTLS")
            .contains("curl -s -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8123/mailRepositories/var%2Fmail%2Fm365-relaydeny/mails");
    }

    @Test
    void theCertificateIsNamedByItsOwnerAndIssuer() throws IOException {
        Path tls = root.resolve("conf/tls");
        TestPki.gateway().writePem(tls.resolve("privkey.pem"), tls.resolve("fullchain.pem"));

        assertThat(summary(Map.of())).containsPattern(
            "  Certificate  CN=[^,]+.*, issued by CN=.* \\(" + root.resolve("conf/tls/fullchain.pem") + "\\)");
    }

    @Test
    void anUnreadableCertificateIsSaidSoForJamesToExplain() throws IOException {
        Files.writeString(root.resolve("conf/tls/fullchain.pem"), "not a certificate\n");

        assertThat(summary(Map.of())).contains("  Certificate  " + root.resolve("conf/tls/fullchain.pem") + " (unreadable: James will say why)");
    }

    @Test
    void aTenantsDescriptionOfTheOperatorsOwnIsNamedAsSuch() throws IOException {
        Path mailetcontainer = root.resolve("conf/mailetcontainer.xml");
        Files.writeString(mailetcontainer, Files.readString(mailetcontainer)
            .replace("${env:RELAYGUARD_M365_SMARTHOST:-contoso-com.mail.protection.outlook.com}", "contoso-com.mail.protection.outlook.com"));

        assertThat(summary(Map.of())).contains("  Relays to    M365: each tenant's smarthost (entity tenants), internet: MX lookup");
    }

    private String summary(Map<String, String> environment) throws IOException {
        return new RunSummary(root, "james-server/target/james-server", "hardened", "audit", environment::get, Path.of("/nonexistent")).text();
    }
}
