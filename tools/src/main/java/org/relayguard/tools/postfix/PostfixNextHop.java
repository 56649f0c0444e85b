package org.relayguard.tools.postfix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.process.Ports;

/**
 * A Postfix as a receiving next hop: its smtpd on a loopback port accepts every recipient from
 * loopback clients and puts each mail on hold, so that it stays in the queue, as the client handed
 * it over, for {@link #queue()} to read with {@code postcat}. It offers what Postfix 3.7 offers by
 * default (PIPELINING, SIZE, 8BITMIME, DSN, SMTPUTF8, CHUNKING, ENHANCEDSTATUSCODES) and STARTTLS
 * with the certificate given; {@link Options#withoutDsn()} makes it a hop that does not offer DSN.
 * It logs every command and reply of its sessions ({@code debug_peer_list}), so that the test reads
 * the MAIL and RCPT parameters it was sent.
 */
public final class PostfixNextHop extends PostfixInstance {
    /** What a next hop is: its name, certificate and extensions. */
    public static final class Options {
        final String hostName;
        final Optional<TestPki.Identity> certificate;
        final boolean dsn;

        private Options(String hostName, Optional<TestPki.Identity> certificate, boolean dsn) {
            this.hostName = hostName;
            this.certificate = certificate;
            this.dsn = dsn;
        }

        /** A hop named {@code hostName} (its banner, EHLO and Received:) offering STARTTLS with this certificate, or none. */
        public static Options named(String hostName, Optional<TestPki.Identity> certificate) {
            return new Options(hostName, certificate, true);
        }

        /** The same hop with DSN taken out of its EHLO ({@code smtpd_discard_ehlo_keywords = dsn}). */
        public Options withoutDsn() {
            return new Options(hostName, certificate, false);
        }
    }

    private final Options options;

    private PostfixNextHop(Path directory, int port, Options options) {
        super("postfix-" + options.hostName, directory, port, true);
        this.options = options;
    }

    /** Starts a next hop on a free loopback port, in a directory of its own under /tmp that {@link #close()} removes. */
    public static PostfixNextHop start(Options options) throws IOException {
        checkInstalled();
        PostfixNextHop hop = new PostfixNextHop(temporaryDirectory("relayguard-hop-"), Ports.free(), options);
        hop.configureAndLaunch();
        return hop;
    }

    public String hostName() {
        return options.hostName;
    }

    /** Whether this hop offers DSN. */
    public boolean offersDsn() {
        return options.dsn;
    }

    @Override
    protected void configure() throws IOException {
        List<String> lines = new ArrayList<>(List.of(
            "myhostname = " + options.hostName,
            "mydestination =",
            "mynetworks = 127.0.0.0/8",
            "smtpd_relay_restrictions = permit_mynetworks, reject",
            // Every mail is held: it stays in the queue for postcat, nothing is delivered on.
            "smtpd_recipient_restrictions = check_recipient_access static:HOLD",
            "smtputf8_enable = yes",
            "debug_peer_list = 127.0.0.0/8",
            "smtpd_tls_loglevel = 1"));
        if (options.certificate.isPresent()) {
            Path key = configDirectory().resolve("key.pem");
            Path chain = configDirectory().resolve("chain.pem");
            options.certificate.get().writePem(key, chain);
            lines.add("smtpd_tls_security_level = may");
            lines.add("smtpd_tls_cert_file = " + chain);
            lines.add("smtpd_tls_key_file = " + key);
        }
        if (!options.dsn) {
            lines.add("smtpd_discard_ehlo_keywords = dsn");
        }
        writeConfiguration("Written by Relay Guard's tests: a next hop that holds what it receives.", lines, List.of(), List.of());
    }
}
