package org.relayguard.tools.postfix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.process.Ports;

/**
 * A Postfix as the sending MTA: what the test submits to its smtpd (with any MAIL and RCPT
 * parameters: SMTPUTF8, BODY, RET, ENVID, NOTIFY, ORCPT) its smtp client relays to one port, the
 * gateway's listener, using what that server offers in EHLO: SIZE, BODY=8BITMIME, DSN, SMTPUTF8,
 * STARTTLS ({@code may}: any certificate). Mail from {@link #EXCHANGE_ONLINE_DOMAIN} leaves from
 * Exchange Online's address ({@value JamesServer#M365_HOST_SOURCE}, HELO
 * {@value JamesServer#M365_HOST_NAME}), other mail from the internet host's
 * ({@value JamesServer#INTERNET_HOST_SOURCE}), as the test hosts file names them.
 *
 * <p>The senders' mailboxes are this Postfix too: mail for the addresses given at start (the
 * bounces and DSNs Postfix writes to them) goes to a second smtpd of its own that puts it on hold,
 * so that {@link #queue()} reads it. It logs every command and reply of its sessions with the
 * gateway ({@code debug_peer_list}): the EHLO features the gateway offered, as Postfix saw them.</p>
 */
public final class PostfixSender extends PostfixInstance {
    public static final String EXCHANGE_ONLINE_DOMAIN = "contoso.com";
    public static final String HOST_NAME = "sender.relayguard.test";

    private final int gatewayPort;
    private final int mailboxPort;
    private final List<String> mailboxes;

    private PostfixSender(Path directory, int port, int gatewayPort, int mailboxPort, List<String> mailboxes) {
        super("postfix-sender", directory, port, true);
        this.gatewayPort = gatewayPort;
        this.mailboxPort = mailboxPort;
        this.mailboxes = List.copyOf(mailboxes);
    }

    /**
     * Starts a sender relaying everything to {@code gatewayPort} on loopback and keeping the mail
     * for {@code mailboxes} (its senders' addresses), in a directory of its own under /tmp.
     */
    public static PostfixSender start(int gatewayPort, List<String> mailboxes) throws IOException {
        checkInstalled();
        PostfixSender sender = new PostfixSender(temporaryDirectory("relayguard-sender-"), Ports.free(), gatewayPort, Ports.free(), mailboxes);
        sender.configureAndLaunch();
        return sender;
    }

    public int gatewayPort() {
        return gatewayPort;
    }

    /**
     * Submits one mail to this Postfix's smtpd, MAIL with {@code mailParameters} (empty for none),
     * each recipient with its own parameters (the map's values; empty for none); returns the reply
     * to the end of DATA. The message's line ends become CRLF; its non-ASCII characters go as UTF-8.
     */
    public SmtpClient.Reply submit(String mailFrom, String mailParameters, List<String[]> recipients, String message) throws IOException {
        try (SmtpClient client = SmtpClient.connect(port(), Optional.empty(), Optional.empty())) {
            client.command("EHLO submitter.relayguard.test").expect(250);
            client.command("MAIL FROM:<" + mailFrom + ">" + parameters(mailParameters)).expect(250);
            for (String[] recipient : recipients) {
                client.command("RCPT TO:<" + recipient[0] + ">" + parameters(recipient.length > 1 ? recipient[1] : "")).expect(250);
            }
            client.command("DATA").expect(354);
            // The dot-stuffed lines and the end of data in one write: SmtpClient writes a command as UTF-8.
            return client.command(new String(SmtpClient.dataLines(message.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8) + ".");
        }
    }

    /** {@link #submit(String, String, List, String)} with recipients without parameters. */
    public SmtpClient.Reply submitTo(String mailFrom, String mailParameters, List<String> recipients, String message) throws IOException {
        List<String[]> plain = new ArrayList<>();
        recipients.forEach(recipient -> plain.add(new String[] {recipient}));
        return submit(mailFrom, mailParameters, plain, message);
    }

    private static String parameters(String parameters) {
        return parameters.isEmpty() ? "" : " " + parameters;
    }

    /** Has Postfix try its deferred mail now ({@code postqueue -f}). */
    public void flush() throws IOException {
        command("postqueue", "-f");
    }

    @Override
    protected void configure() throws IOException {
        StringBuilder keep = new StringBuilder();
        for (String mailbox : mailboxes) {
            keep.append(mailbox).append(" smtp:[127.0.0.1]:").append(mailboxPort).append('\n');
        }
        Path mailboxTransport = writeConfigFile("mailboxes", keep.toString());
        Path senders = writeConfigFile("senders", "@" + EXCHANGE_ONLINE_DOMAIN + " exchange:[127.0.0.1]:" + gatewayPort + "\n");
        List<String> lines = List.of(
            "myhostname = " + HOST_NAME,
            "mydestination =",
            "mynetworks = 127.0.0.0/8",
            "smtpd_relay_restrictions = permit_mynetworks, reject",
            "smtputf8_enable = yes",
            // Exchange Online's mail from its address, the rest from the internet host's; the
            // senders' own mail (bounces, DSNs) to the holding smtpd below.
            "default_transport = internet:[127.0.0.1]:" + gatewayPort,
            "sender_dependent_default_transport_maps = texthash:" + senders,
            "transport_maps = texthash:" + mailboxTransport,
            "hold_everything = check_recipient_access static:HOLD",
            "smtp_tls_security_level = may",
            "smtp_tls_loglevel = 1",
            "debug_peer_list = 127.0.0.0/8",
            // A mail the gateway defers is tried again soon, and bounced soon if it keeps failing.
            "minimal_backoff_time = 5s",
            "maximal_backoff_time = 10s",
            "queue_run_delay = 5s");
        List<String> services = List.of(
            "exchange  unix  -       -       n       -       -       smtp -o smtp_bind_address=" + JamesServer.M365_HOST_SOURCE
                + " -o smtp_helo_name=" + JamesServer.M365_HOST_NAME,
            "internet  unix  -       -       n       -       -       smtp -o smtp_bind_address=" + JamesServer.INTERNET_HOST_SOURCE
                + " -o smtp_helo_name=" + JamesServer.INTERNET_HOST_NAME,
            "127.0.0.1:" + mailboxPort + " inet n - n - - smtpd -o smtpd_recipient_restrictions=$hold_everything");
        writeConfiguration("Written by Relay Guard's tests: the sending MTA in front of the gateway.", lines, List.of(), services);
    }
}
