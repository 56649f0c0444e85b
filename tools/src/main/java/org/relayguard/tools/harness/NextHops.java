package org.relayguard.tools.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.relayguard.tools.process.Ports;

/**
 * The gateway's next hops, each its own SMTP server with its own port: the Microsoft 365 smart
 * host (mail for our domains) and the internet gateway (everything else relayed). A test that gave
 * both routes one sink could not see a mail take the wrong one. With several tenants
 * ({@link #startForTenants}), each tenant has a smart host of its own, so that a mail on another
 * tenant's shows too.
 *
 * <p>By default both offer STARTTLS, each with a certificate of its own: the smart host one for
 * {@value TestPki#M365_SMARTHOST_NAME} from the private CA that James is told to trust, which the
 * Microsoft 365 route requires; the internet hop one for {@value TestPki#INTERNET_HOP_NAME} from a
 * CA that James does not know, which the internet route's opportunistic TLS accepts.</p>
 *
 * <p>{@link #down()} reserves the two ports with nothing listening, so that deliveries fail and
 * mail waits in the delivery queues; {@link #up()} starts the servers on those ports.
 * {@link #replaceM365} and {@link #replaceInternet} put another server on a hop's port.</p>
 *
 * <p>{@link #startWithMxHosts} puts the internet next hop on the addresses of a destination's MX
 * hosts instead (port 25 of loopback addresses of their own), one sink answering on all of them.</p>
 */
public final class NextHops implements AutoCloseable {
    private final int m365Port;
    private final int internetPort;
    private final Optional<TestPki.Identity> m365Certificate;
    private final Optional<TestPki.Identity> internetCertificate;
    /** Where the internet next hop listens: port {@link #internetPort} of the loopback address, or these MX hosts' addresses. */
    private final List<InetSocketAddress> internetAddresses;
    private volatile SmtpSink m365;
    private volatile SmtpSink internet;
    /** Tenant name to its smart host; empty in the two-hop set-up. */
    private final Map<String, SmtpSink> tenants;

    private NextHops(int m365Port, int internetPort, Optional<TestPki.Identity> m365Certificate, Optional<TestPki.Identity> internetCertificate,
                     Map<String, SmtpSink> tenants) {
        this(m365Port, internetPort, m365Certificate, internetCertificate, tenants,
            List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), internetPort)));
    }

    private NextHops(int m365Port, int internetPort, Optional<TestPki.Identity> m365Certificate, Optional<TestPki.Identity> internetCertificate,
                     Map<String, SmtpSink> tenants, List<InetSocketAddress> internetAddresses) {
        this.internetAddresses = List.copyOf(internetAddresses);
        this.m365Port = m365Port;
        this.internetPort = internetPort;
        this.m365Certificate = m365Certificate;
        this.internetCertificate = internetCertificate;
        this.tenants = Collections.unmodifiableMap(tenants);
    }

    /** Both next hops up and accepting mail, each offering STARTTLS with its own certificate. */
    public static NextHops start() {
        return start(Optional.of(TestPki.m365SmartHost()), Optional.of(TestPki.internetHop()));
    }

    /** Both next hops up, each offering STARTTLS with the certificate given, none without. */
    public static NextHops start(Optional<TestPki.Identity> m365Certificate, Optional<TestPki.Identity> internetCertificate) {
        NextHops hops = down(m365Certificate, internetCertificate);
        return hops.up();
    }

    /**
     * The Microsoft 365 smart host as {@link #start()} has it, and the internet next hop answering on
     * each of {@code mxHosts} (port 25 of loopback addresses, which a DNS server names as the MX
     * hosts of the internet domains), offering STARTTLS with the internet certificate: the internet
     * route of a relay that resolves MX records, without an outbound gateway.
     */
    public static NextHops startWithMxHosts(List<InetSocketAddress> mxHosts) {
        try {
            return new NextHops(Ports.free(), mxHosts.get(0).getPort(), Optional.of(TestPki.m365SmartHost()), Optional.of(TestPki.internetHop()),
                Map.of(), mxHosts).up();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The internet next hop and one Microsoft 365 smart host per tenant, all up. */
    public static NextHops startForTenants(String... tenantNames) {
        Map<String, SmtpSink> tenants = new LinkedHashMap<>();
        // Every tenant's smart host has the smart host certificate ({@value TestPki#M365_SMARTHOST_NAME}):
        // the Microsoft 365 route requires verified TLS. Each listens on a port of its own.
        for (String tenant : tenantNames) {
            tenants.put(tenant, SmtpSink.start(0, Optional.of(TestPki.m365SmartHost())));
        }
        SmtpSink internet = SmtpSink.start(0, Optional.of(TestPki.internetHop()));
        NextHops hops = new NextHops(-1, internet.port(), Optional.empty(), Optional.of(TestPki.internetHop()), tenants);
        hops.internet = internet;
        return hops;
    }

    /** Both next hops down: connections to their ports are refused until {@link #up()}. */
    public static NextHops down() {
        return down(Optional.of(TestPki.m365SmartHost()), Optional.of(TestPki.internetHop()));
    }

    private static NextHops down(Optional<TestPki.Identity> m365Certificate, Optional<TestPki.Identity> internetCertificate) {
        try {
            return new NextHops(Ports.free(), Ports.free(), m365Certificate, internetCertificate, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the next hops that are down, on their ports. */
    public synchronized NextHops up() {
        if (m365 == null && tenants.isEmpty()) {
            m365 = SmtpSink.start(m365Port, m365Certificate);
        }
        if (internet == null) {
            internet = SmtpSink.start(internetAddresses, internetCertificate);
        }
        return this;
    }

    /** Another Microsoft 365 smart host on the same port: STARTTLS with this certificate, or none. */
    public synchronized SmtpSink replaceM365(Optional<TestPki.Identity> certificate) {
        if (m365 != null) {
            m365.close();
        }
        m365 = SmtpSink.start(m365Port, certificate);
        return m365;
    }

    /** Another internet next hop on the same port: STARTTLS with this certificate, or none. */
    public synchronized SmtpSink replaceInternet(Optional<TestPki.Identity> certificate) {
        if (internet != null) {
            internet.close();
        }
        internet = SmtpSink.start(internetAddresses, certificate);
        return internet;
    }

    /** Whether each tenant has its own smart host (and there is no single {@link #m365()}). */
    public boolean perTenant() {
        return !tenants.isEmpty();
    }

    public int m365Port() {
        if (perTenant()) {
            throw new IllegalStateException("each tenant has its own smart host: use tenant(name)");
        }
        return m365Port;
    }

    public int internetPort() {
        return internetPort;
    }

    /** The Microsoft 365 smart host (mail for James's DomainList). */
    public SmtpSink m365() {
        if (perTenant()) {
            throw new IllegalStateException("each tenant has its own smart host: use tenant(name)");
        }
        return running(m365, "M365 smart host");
    }

    /** A tenant's Microsoft 365 smart host. */
    public SmtpSink tenant(String name) {
        SmtpSink sink = tenants.get(name);
        if (sink == null) {
            throw new IllegalArgumentException("no smart host for tenant " + name + " (" + tenants.keySet() + ")");
        }
        return sink;
    }

    /** Every Microsoft 365 smart host: the one, or each tenant's. */
    public List<SmtpSink> smartHosts() {
        return perTenant() ? new ArrayList<>(tenants.values()) : List.of(m365());
    }

    /** The internet next hop (every other relayed mail). */
    public SmtpSink internet() {
        return running(internet, "internet next hop");
    }

    private static SmtpSink running(SmtpSink sink, String name) {
        if (sink == null) {
            throw new IllegalStateException("the " + name + " is down");
        }
        return sink;
    }

    @Override
    public void close() {
        if (m365 != null) {
            m365.close();
        }
        if (internet != null) {
            internet.close();
        }
        tenants.values().forEach(SmtpSink::close);
    }
}
