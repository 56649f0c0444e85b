package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.TestPki;

/**
 * Delivery over TLS, SPEC "Encrypted in transit", on a real James: the Microsoft 365 route reaches
 * its smart host over verified TLS only and never falls back to clear text; the internet route
 * uses TLS whenever the next hop offers it, whatever its certificate, and clear text otherwise.
 * The next hops are real SMTP servers whose sessions show what James sent before and after TLS.
 */
class TlsDeliveryTest {
    private static final Duration DELIVERY = Duration.ofSeconds(60);
    /** The mails that wait go out at their next retry: 5 s after the first attempt, then a minute later. */
    private static final Duration RETRIES = Duration.ofSeconds(180);
    private static final List<String> TRANSACTION = List.of("MAIL", "RCPT", "DATA");

    private static void send(JamesServer james, TransportMail kind, String id) throws Exception {
        assertThat(kind.send(james, id).code).as(id).isEqualTo(250);
    }

    private static List<String> ids(SmtpSink hop) {
        return hop.received().stream().map(mail -> mail.header(TransportMail.ID_HEADER)).collect(Collectors.toList());
    }

    /** Waits until James has tried this next hop and given up the connection. */
    private static void awaitAttempt(SmtpSink hop) {
        await().atMost(DELIVERY).until(() -> !hop.sessions().isEmpty() && hop.sessions().stream().allMatch(SmtpSink.Session::ended));
    }

    /** Not one command of a mail transaction reached this next hop, in clear text or over TLS. */
    private static void assertNothingSent(SmtpSink hop, String what) {
        assertThat(hop.received()).as("%s: mails received", what).isEmpty();
        assertThat(hop.sessions()).as("%s: sessions", what).allSatisfy(session ->
            assertThat(session.commands()).as(what).noneMatch(command -> TRANSACTION.contains(command.replace("tls:", ""))));
    }

    @Test
    void theM365RouteDeliversOverVerifiedTlsOnlyAndKeepsTheMailQueuedUntilItCan() throws Exception {
        try (NextHops hops = NextHops.start(Optional.empty(), Optional.of(TestPki.internetHop()));
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            SmtpSink withoutStartTls = hops.m365();
            send(james, TransportMail.INBOUND, "no-starttls");
            awaitAttempt(withoutStartTls);

            SmtpSink wrongName = hops.replaceM365(Optional.of(TestPki.smartHostCa().issue("wrong-name.m365.test")));
            send(james, TransportMail.INBOUND, "wrong-name");
            awaitAttempt(wrongName);

            SmtpSink unknownCa = hops.replaceM365(Optional.of(TestPki.internetCa().issue(TestPki.M365_SMARTHOST_NAME)));
            send(james, TransportMail.INBOUND, "unknown-ca");
            awaitAttempt(unknownCa);

            assertNothingSent(withoutStartTls, "smart host without STARTTLS");
            assertThat(withoutStartTls.sessions()).as("James asked, saw no STARTTLS and left")
                .allSatisfy(session -> assertThat(session.commandsInClear()).contains("EHLO").doesNotContain("STARTTLS"));
            assertNothingSent(wrongName, "certificate of another name");
            assertThat(wrongName.sessions()).as("TLS was set up, then James refused the name")
                .allSatisfy(session -> assertThat(session.tls()).startsWith("TLSv1."));
            assertNothingSent(unknownCa, "certificate from an unknown CA");
            assertThat(unknownCa.sessions()).as("James refused the certificate during the handshake")
                .allSatisfy(session -> assertThat(session.tlsFailure()).isPresent());
            await().atMost(DELIVERY).untilAsserted(() -> assertThat(james.webAdmin().queueSize("to-m365-contoso"))
                .as("the three mails wait in the M365 queue").isEqualTo(3));

            SmtpSink verified = hops.replaceM365(Optional.of(TestPki.m365SmartHost()));
            send(james, TransportMail.INBOUND, "verified");
            await().atMost(RETRIES).until(() -> verified.count() >= 4);

            assertThat(ids(verified)).containsExactlyInAnyOrder("no-starttls", "wrong-name", "unknown-ca", "verified");
            assertThat(verified.received()).allSatisfy(mail -> assertThat(mail.tls).startsWith("TLSv1."));
            assertThat(verified.sessions()).allSatisfy(session ->
                assertThat(session.commandsInClear()).noneMatch(TRANSACTION::contains));
            await().atMost(DELIVERY).until(() -> james.webAdmin().queueSize("to-m365-contoso") == 0);
            assertThat(hops.internet().received()).isEmpty();
            assertThat(james.webAdmin().mailKeys(JamesServer.ERROR_REPOSITORY)).isEmpty();
        }
    }

    @Test
    void theInternetRouteUsesTlsWheneverOfferedWhateverTheCertificateAndClearTextOtherwise() throws Exception {
        try (NextHops hops = NextHops.start(Optional.of(TestPki.m365SmartHost()), Optional.empty());
             JamesServer james = JamesServer.builder().nextHops(hops).start()) {
            send(james, TransportMail.OUTBOUND, "internet-clear");
            await().atMost(DELIVERY).until(() -> hops.internet().count() == 1);
            assertThat(hops.internet().received()).singleElement().satisfies(mail -> assertThat(mail.tls).isEqualTo(SmtpSink.CLEAR_TEXT));

            // mx.internet.test from a CA James trusts nowhere, and James connects to 127.0.0.1: neither
            // the chain nor the name verifies, and TLS is used all the same.
            SmtpSink offeringTls = hops.replaceInternet(Optional.of(TestPki.internetHop()));
            send(james, TransportMail.OUTBOUND, "internet-tls");
            await().atMost(DELIVERY).until(() -> offeringTls.count() == 1);

            assertThat(offeringTls.received()).singleElement().satisfies(mail -> {
                assertThat(mail.header(TransportMail.ID_HEADER)).isEqualTo("internet-tls");
                assertThat(mail.tls).startsWith("TLSv1.");
            });
            assertThat(offeringTls.sessions()).allSatisfy(session ->
                assertThat(session.commandsInClear()).containsExactly("EHLO", "STARTTLS"));
            assertThat(hops.m365().received()).isEmpty();
        }
    }

    /**
     * {@code RELAYGUARD_SMARTHOST_CA} adds a private CA to the JDK's, it does not replace them (as
     * {@code -Djavax.net.ssl.trustStore} would): a smart host whose certificate comes from one of
     * the JDK's CAs (Exchange Online's) still verifies. The JDK's CAs are played by a test CA, given
     * to James's JVM as its trust store.
     */
    @Test
    void theJdksCasStillVerifyWhenAPrivateCaIsConfigured(@TempDir Path temp) throws Exception {
        TestPki.Authority publicCa = TestPki.newAuthority("Relay Guard Test Public CA");
        Path jdkTrust = temp.resolve("jdk-trust.p12");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("public-ca", publicCa.certificate);
        try (OutputStream out = Files.newOutputStream(jdkTrust)) {
            store.store(out, "changeit".toCharArray());
        }
        try (NextHops hops = NextHops.start(Optional.of(publicCa.issue(TestPki.M365_SMARTHOST_NAME)), Optional.of(TestPki.internetHop()));
             JamesServer james = JamesServer.builder()
                 .nextHops(hops)
                 .jvmArgument("-Djavax.net.ssl.trustStore=" + jdkTrust)
                 .jvmArgument("-Djavax.net.ssl.trustStorePassword=changeit")
                 .start()) {
            assertThat(james.environment()).containsKey("RELAYGUARD_SMARTHOST_CA");
            send(james, TransportMail.INBOUND, "public-ca");
            await().atMost(DELIVERY).until(() -> hops.m365().count() == 1);

            SmtpSink privateCa = hops.replaceM365(Optional.of(TestPki.m365SmartHost()));
            send(james, TransportMail.INBOUND, "private-ca");
            await().atMost(DELIVERY).until(() -> privateCa.count() == 1);

            SmtpSink unknownCa = hops.replaceM365(Optional.of(TestPki.internetCa().issue(TestPki.M365_SMARTHOST_NAME)));
            send(james, TransportMail.INBOUND, "unknown-ca");
            awaitAttempt(unknownCa);

            assertThat(hops.m365()).isSameAs(unknownCa);
            assertThat(privateCa.received()).singleElement().satisfies(mail -> assertThat(mail.tls).startsWith("TLSv1."));
            assertNothingSent(unknownCa, "certificate from an unknown CA");
        } finally {
            Files.deleteIfExists(jdkTrust);
        }
    }
}
