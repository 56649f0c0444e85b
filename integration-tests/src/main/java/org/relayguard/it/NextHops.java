package org.relayguard.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's next hops, each its own SMTP server with its own port: the Microsoft 365 smart
 * host (mail for our domains) and the internet gateway (everything else relayed). A test that gave
 * both routes one sink could not see a mail take the wrong one. With several tenants
 * ({@link #startForTenants}), each tenant has a smart host of its own, so that a mail on another
 * tenant's shows too.
 *
 * <p>{@link #down()} reserves the two ports with nothing listening, so that deliveries fail and
 * mail waits in the delivery queues; {@link #up()} starts the servers on those ports.</p>
 */
public final class NextHops implements AutoCloseable {
    private final int m365Port;
    private final int internetPort;
    private volatile SmtpSink m365;
    private volatile SmtpSink internet;
    /** Tenant name to its smart host; empty in the two-hop set-up. */
    private final Map<String, SmtpSink> tenants;

    private NextHops(int m365Port, int internetPort, Map<String, SmtpSink> tenants) {
        this.m365Port = m365Port;
        this.internetPort = internetPort;
        this.tenants = Collections.unmodifiableMap(tenants);
    }

    /** Both next hops up and accepting mail. */
    public static NextHops start() {
        SmtpSink m365 = SmtpSink.start();
        SmtpSink internet = SmtpSink.start();
        NextHops hops = new NextHops(m365.port(), internet.port(), Map.of());
        hops.m365 = m365;
        hops.internet = internet;
        return hops;
    }

    /** The internet next hop and one Microsoft 365 smart host per tenant, all up. */
    public static NextHops startForTenants(String... tenantNames) {
        Map<String, SmtpSink> tenants = new LinkedHashMap<>();
        for (String tenant : tenantNames) {
            tenants.put(tenant, SmtpSink.start());
        }
        SmtpSink internet = SmtpSink.start();
        NextHops hops = new NextHops(-1, internet.port(), tenants);
        hops.internet = internet;
        return hops;
    }

    /** Both next hops down: connections to their ports are refused until {@link #up()}. */
    public static NextHops down() {
        try {
            return new NextHops(JamesServer.freePort(), JamesServer.freePort(), Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the next hops that are down, on their ports. */
    public synchronized NextHops up() {
        if (m365 == null && tenants.isEmpty()) {
            m365 = SmtpSink.start(m365Port);
        }
        if (internet == null) {
            internet = SmtpSink.start(internetPort);
        }
        return this;
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
