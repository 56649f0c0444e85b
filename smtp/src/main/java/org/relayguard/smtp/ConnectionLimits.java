package org.relayguard.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection limits of one listener that answer, unlike James 3.8.1's own
 * {@code connectionLimit}/{@code connectionLimitPerIP}, which close a connection over the limit
 * without a word: a connection over {@code maxConnections} (all clients together) or over
 * {@code maxConnectionsPerAddress} (one client address) gets
 * {@code 421 4.7.0 Too many connections…, try again later} and is closed. {@code 421} is a
 * temporary answer: Exchange Online and every other MTA try again later. {@code 0} means no limit.
 *
 * <p>What a client's connections cost in the log is bounded too: a refusal is counted in
 * {@value #REFUSED_METRIC} and logged once per client address per minute, with the count of those
 * left out ({@link LogThrottle}); the first one started also installs {@link ClientResetLog}, which
 * does the same for connections the clients reset.</p>
 *
 * <p>Why it matters: every open connection holds a file descriptor of the James process. Without a
 * limit, a few hundred idle connections from one client exhaust them; James then cannot accept
 * anyone else (Netty stops accepting for a second after each failed {@code accept}) nor open its
 * queue and delivery files. {@code maxConnections} keeps the listener within the process's limit,
 * which the Relay Guard server checks at start-up.</p>
 *
 * <p>The address is the one James sees when the connection opens: behind the PROXY protocol that is
 * the proxy's, so on a PROXY listener leave {@code maxConnectionsPerAddress} at 0 and limit per
 * client in the proxy (HAProxy's {@code maxconn} and stick tables).</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.ConnectionLimits">
 *         <maxConnections>500</maxConnections>
 *         <maxConnectionsPerAddress>20</maxConnectionsPerAddress>
 *     </handler>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class ConnectionLimits implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession> {
    static final String NAME = "ConnectionLimits";
    public static final String MAX_CONNECTIONS = "maxConnections";
    public static final String MAX_CONNECTIONS_PER_ADDRESS = "maxConnectionsPerAddress";
    static final String REFUSED_METRIC = "relayguard_smtp_connections_refused";

    private static final Logger LOGGER = LoggerFactory.getLogger(ConnectionLimits.class);
    private static final ProtocolSession.AttachmentKey<InetAddress> COUNTED = ProtocolSession.AttachmentKey.of("org.relayguard.connection-counted", InetAddress.class);
    private static final InetAddress UNKNOWN = InetAddress.getLoopbackAddress();
    private static final String TOO_MANY = DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.SECURITY_OTHER) + " Too many connections";

    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final LogThrottle refusalLog = new LogThrottle();
    private final Metric refused;
    private final Metric resets;
    private int maxConnections;
    private int maxConnectionsPerAddress;

    @Inject
    public ConnectionLimits(MetricFactory metricFactory) {
        this.refused = metricFactory.generate(REFUSED_METRIC);
        this.resets = metricFactory.generate(ClientResetLog.METRIC);
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        maxConnections = limit(config, MAX_CONNECTIONS);
        maxConnectionsPerAddress = limit(config, MAX_CONNECTIONS_PER_ADDRESS);
        ClientResetLog.install(resets);
        LOGGER.info("{}: at most {} connections, {} per client address (0: no limit)", NAME, maxConnections, maxConnectionsPerAddress);
    }

    private static int limit(Configuration config, String parameter) throws ConfigurationException {
        String value = config.getString(parameter, null);
        if (value == null) {
            throw new ConfigurationException(NAME + ": parameter '" + parameter + "' is required (0 for no limit)");
        }
        try {
            int limit = Integer.parseInt(value.trim());
            if (limit >= 0) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigurationException(NAME + ": parameter '" + parameter + "' must be a number, 0 or more, got '" + value + "'");
    }

    /** The total limit, for the start-up check of file descriptors. */
    public int maxConnections() {
        return maxConnections;
    }

    @Override
    public Response onConnect(SMTPSession session) {
        InetAddress address = Optional.ofNullable(session.getRemoteAddress()).map(InetSocketAddress::getAddress).orElse(UNKNOWN);
        int all = total.incrementAndGet();
        int fromAddress = perAddress.computeIfAbsent(address, any -> new AtomicInteger()).incrementAndGet();
        session.setAttachment(COUNTED, address, State.Connection);
        if (maxConnections > 0 && all > maxConnections) {
            refused.increment();
            String client = address.getHostAddress();
            refusalLog.admit(client).ifPresent(leftOut ->
                LOGGER.warn("Refused a connection from {}: {} connections open, the limit is {} (maxConnections){}", client, all - 1, maxConnections, leftOut(leftOut)));
            return refusal(TOO_MANY + " on this gateway, try again later");
        }
        if (maxConnectionsPerAddress > 0 && fromAddress > maxConnectionsPerAddress) {
            refused.increment();
            String client = address.getHostAddress();
            refusalLog.admit(client).ifPresent(leftOut ->
                LOGGER.warn("Refused a connection from {}: {} connections open from that address, the limit is {} (maxConnectionsPerAddress){}",
                    client, fromAddress - 1, maxConnectionsPerAddress, leftOut(leftOut)));
            return refusal(TOO_MANY + " from your address, try again later");
        }
        return NoReply.INSTANCE;
    }

    private static String leftOut(long count) {
        return count == 0 ? "" : "; " + count + " more refused from that address in the last minute not logged";
    }

    private static Response refusal(String text) {
        SMTPResponse response = new SMTPResponse(SMTPRetCode.SERVICE_NOT_AVAILABLE, text);
        response.setEndSession(true);
        return response;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        session.getAttachment(COUNTED, State.Connection).ifPresent(address -> {
            session.removeAttachment(COUNTED, State.Connection);
            total.decrementAndGet();
            perAddress.computeIfPresent(address, (key, count) -> count.decrementAndGet() <= 0 ? null : count);
        });
    }
}
