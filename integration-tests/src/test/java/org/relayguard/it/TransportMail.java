package org.relayguard.it;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;

/**
 * The mails of the transport tests, each told apart by its {@link #ID_HEADER}: who sends it, for
 * whom, and where SPEC puts it — the route it must take (Microsoft 365 smart host or internet) and
 * whether the hardened profile quarantines it.
 */
enum TransportMail {
    /** Our tenant's outbound mail from Exchange Online to the internet: relayed to the internet next hop. */
    OUTBOUND(true, "a@contoso.com", "", "friend@external.example", Route.INTERNET, false),
    /** Internet mail for one of our users: relayed to the M365 smart host. */
    INBOUND(false, "b@example.org", "", "user@contoso.com", Route.M365, false),
    /**
     * Another tenant whose headers would pass (our envelope domain, our X-OriginatorOrg) but whose
     * SMTP session names it (XOORG): only the mail attribute that XoorgExtension set on the session
     * denies it, so it is quarantined only if that attribute crossed the queue.
     */
    FOREIGN_BY_XOORG(true, "a@contoso.com", "XOORG=evil.onmicrosoft.com", "friend@external.example", Route.INTERNET, true);

    static final String ID_HEADER = "X-Relayguard-Transport";

    enum Route {
        M365, INTERNET
    }

    final boolean fromExchangeOnline;
    final String sender;
    final String mailParameters;
    final String recipient;
    final Route route;
    final boolean denied;

    TransportMail(boolean fromExchangeOnline, String sender, String mailParameters, String recipient, Route route, boolean denied) {
        this.fromExchangeOnline = fromExchangeOnline;
        this.sender = sender;
        this.mailParameters = mailParameters;
        this.recipient = recipient;
        this.route = route;
        this.denied = denied;
    }

    /** Copies a mail of this kind must have at each next hop and in the quarantine. */
    int expectedRelayed(boolean enforce) {
        return denied && enforce ? 0 : 1;
    }

    String message(String id) {
        return "From: " + sender + "\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: transport " + id + "\r\n"
            + "Message-ID: <" + id + "@relayguard.test>\r\n"
            + ID_HEADER + ": " + id + "\r\n"
            + (fromExchangeOnline ? "X-OriginatorOrg: contoso.com\r\n" : "")
            + "\r\nTransport test " + id + ".\r\n";
    }

    /** A connection from where this kind of mail comes from (the test hosts file names the sources). */
    SmtpClient connect(JamesServer james) throws IOException {
        return SmtpClient.connect(james.smtpPort(),
            Optional.of(fromExchangeOnline ? JamesServer.M365_HOST_SOURCE : JamesServer.INTERNET_HOST_SOURCE), Optional.empty());
    }

    /** Sends one mail of this kind on its own connection; returns the reply to DATA. */
    SmtpClient.Reply send(JamesServer james, String id) throws IOException {
        try (SmtpClient client = connect(james)) {
            return client.send(sender, mailParameters, List.of(recipient), message(id));
        }
    }

    /** The next hop this mail must reach. */
    SmtpSink nextHop(NextHops hops) {
        return route == Route.M365 ? hops.m365() : hops.internet();
    }

    SmtpSink otherHop(NextHops hops) {
        return route == Route.M365 ? hops.internet() : hops.m365();
    }
}
