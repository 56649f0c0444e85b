package org.relayguard.tools.load;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.relayguard.tools.harness.LocalDnsServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.ScratchDirectories;
import org.relayguard.tools.harness.SmtpSink;

/**
 * The internet as one relay of {@code ./perf.sh peer --internet-route mx} sees it: two MX hosts on
 * port 25 of loopback addresses of the relay's own ({@code 127.25.<relay>.1} and {@code .2}, one
 * {@link SmtpSink} answering on both, offering STARTTLS with the internet certificate), a
 * {@link LocalDnsServer} of the relay's own ({@code 127.53.53.<50 + relay>}) whose table names them
 * as the MX hosts of the internet domains ({@link MailKind#INTERNET_DOMAINS} and the IDN domain by
 * its A-label): every other domain prefers {@code mx1} (preference 10, {@code mx2} 20), the others
 * the reverse, so that both hosts carry mail and each domain has a second MX. Both relays' tables
 * hold the same names; each points at its own relay's hosts, so that each relay's mail is counted
 * apart. The Microsoft 365 smart host is as in {@link NextHops#start()}. Needs root (port 53 and 25).
 */
final class MxRoute implements AutoCloseable {
    static final String MX1 = "mx1.internet.test";
    static final String MX2 = "mx2.internet.test";

    private final String mx1Address;
    private final String mx2Address;
    private final LocalDnsServer dns;
    private final NextHops hops;
    private final Path resolvConf;

    private MxRoute(int relay, LocalDnsServer dns, NextHops hops, Path resolvConf) {
        this.mx1Address = "127.25." + relay + ".1";
        this.mx2Address = "127.25." + relay + ".2";
        this.dns = dns;
        this.hops = hops;
        this.resolvConf = resolvConf;
    }

    /** The MX hosts and the name server of relay number {@code relay} (1, 2, …: each its own addresses). */
    static MxRoute start(int relay) throws IOException {
        String mx1 = "127.25." + relay + ".1";
        String mx2 = "127.25." + relay + ".2";
        LocalDnsServer dns = LocalDnsServer.start("127.53.53." + (50 + relay));
        try {
            // As a domain's records are cached in service (James's dnsjava keeps them for their TTL; glibc, which Postfix asks, keeps nothing).
            dns.ttl(300).a(MX1, mx1).a(MX2, mx2);
            List<String> domains = new ArrayList<>(MailKind.INTERNET_DOMAINS);
            domains.add(MailKind.IDN_DOMAIN_A_LABEL);
            for (int i = 0; i < domains.size(); i++) {
                dns.mx(domains.get(i), 10, i % 2 == 0 ? MX1 : MX2).mx(domains.get(i), 20, i % 2 == 0 ? MX2 : MX1);
            }
            Path resolvConf = dns.resolvConf(ScratchDirectories.create("relayguard-mx-").resolve("resolv.conf"));
            NextHops hops = NextHops.startWithMxHosts(List.of(new InetSocketAddress(InetAddress.getByName(mx1), 25),
                new InetSocketAddress(InetAddress.getByName(mx2), 25)));
            return new MxRoute(relay, dns, hops, resolvConf);
        } catch (IOException | RuntimeException e) {
            dns.close();
            throw e;
        }
    }

    /** The smart host and, as {@link NextHops#internet()}, the sink behind both MX hosts. */
    NextHops hops() {
        return hops;
    }

    /** The resolv.conf naming this relay's name server alone. */
    Path resolvConf() {
        return resolvConf;
    }

    /** What the MX hosts carried so far: mails, connections and TLS handshakes at each, and the MX queries the name server had. */
    String carried() {
        List<SmtpSink.Received> received = hops.internet().received();
        List<SmtpSink.Session> sessions = hops.internet().sessions();
        StringBuilder text = new StringBuilder();
        for (String[] host : List.of(new String[] {MX1, mx1Address}, new String[] {MX2, mx2Address})) {
            String server = host[1] + ":25";
            long mails = received.stream().filter(mail -> mail.server.equals(server)).count();
            long connections = sessions.stream().filter(session -> session.server().equals(server)).count();
            long handshakes = sessions.stream().filter(session -> session.server().equals(server) && !session.tls().equals(SmtpSink.CLEAR_TEXT)).count();
            text.append(String.format(Locale.ROOT, "%s (%s) %d mails over %d connections, %d TLS handshakes; ", host[0], server, mails, connections, handshakes));
        }
        return text.append(String.format(Locale.ROOT, "on the MX route %.3f connections and %.3f TLS handshakes per mail; %d DNS queries",
            (double) sessions.size() / Math.max(1, received.size()),
            (double) hops.internet().tlsHandshakeCount() / Math.max(1, received.size()), dns.queries())).toString();
    }

    @Override
    public void close() {
        hops.close();
        dns.close();
    }
}
