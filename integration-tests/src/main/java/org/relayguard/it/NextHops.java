package org.relayguard.it;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The gateway's two next hops, each its own SMTP server with its own port: the Microsoft 365 smart
 * host (mail for our domains) and the internet gateway (everything else relayed). A test that gave
 * both routes one sink could not see a mail take the wrong one.
 *
 * <p>{@link #down()} reserves the two ports with nothing listening, so that deliveries fail and
 * mail waits in the delivery queues; {@link #up()} starts the servers on those ports.</p>
 */
public final class NextHops implements AutoCloseable {
    private final int m365Port;
    private final int internetPort;
    private volatile SmtpSink m365;
    private volatile SmtpSink internet;

    private NextHops(int m365Port, int internetPort) {
        this.m365Port = m365Port;
        this.internetPort = internetPort;
    }

    /** Both next hops up and accepting mail. */
    public static NextHops start() {
        SmtpSink m365 = SmtpSink.start();
        SmtpSink internet = SmtpSink.start();
        NextHops hops = new NextHops(m365.port(), internet.port());
        hops.m365 = m365;
        hops.internet = internet;
        return hops;
    }

    /** Both next hops down: connections to their ports are refused until {@link #up()}. */
    public static NextHops down() {
        try {
            return new NextHops(JamesServer.freePort(), JamesServer.freePort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the next hops that are down, on their ports. */
    public synchronized NextHops up() {
        if (m365 == null) {
            m365 = SmtpSink.start(m365Port);
        }
        if (internet == null) {
            internet = SmtpSink.start(internetPort);
        }
        return this;
    }

    public int m365Port() {
        return m365Port;
    }

    public int internetPort() {
        return internetPort;
    }

    /** The Microsoft 365 smart host (mail for James's DomainList). */
    public SmtpSink m365() {
        return running(m365, "M365 smart host");
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
    }
}
