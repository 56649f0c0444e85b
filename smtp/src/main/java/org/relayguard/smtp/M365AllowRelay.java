package org.relayguard.smtp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.net.ssl.SSLSession;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.library.inetnetwork.InetNetworkBuilder;
import org.apache.james.dnsservice.library.inetnetwork.model.InetNetwork;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.relayguard.core.decision.DecisionLine;
import org.relayguard.core.decision.DecisionLog;
import org.relayguard.core.parameters.StrictBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.base.CharMatcher;
import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableList;

/**
 * The switch of Exchange Online's allow-relay: whether clients in Microsoft's Exchange Online
 * ranges may relay through this listener to the internet. The seed's last note: a deployment
 * where no mail comes from Microsoft 365 to be relayed should not allow it at all.
 *
 * <p>{@code allowRelay=true}: the handler does nothing; the listener's {@code authorizedAddresses}
 * lets those clients relay and the mail processing's rules decide. {@code allowRelay=false}: a
 * {@code RCPT} from a client in {@code networks} (the proxied address behind the PROXY protocol)
 * for a domain that is not in James's DomainList gets
 * {@code 550 5.7.1 Relay from Microsoft 365 is turned off on this gateway}, is written to the
 * decision log ({@code relayguard.decisions}, {@code decision=refuse rule=m365-allow-relay}) and
 * counted ({@value #REFUSED_METRIC}); a recipient in our domains is accepted as before. A client
 * that authenticated (SMTP AUTH) relays by its credentials, not its address, and is left alone.
 * When the DomainList cannot be read the {@code RCPT} gets {@code 451 4.3.0}: Exchange Online
 * retries, and nothing is refused for good on a guess.</p>
 *
 * <p>{@code networks} must be the ranges the listener's {@code authorizedAddresses} gives to
 * Microsoft 365 (the shipped configuration reads both from {@code conf/exchange-online-ranges.xml}).
 * A missing or invalid parameter stops James at start-up.</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.M365AllowRelay">
 *         <allowRelay>${env:RELAYGUARD_M365_ALLOW_RELAY:-true}</allowRelay>
 *         <networks>40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/15</networks>
 *     </handler>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class M365AllowRelay implements RcptHook {
    public static final String REFUSED_METRIC = "relayguard_m365_relay_refused";
    public static final String RULE = "m365-allow-relay";
    public static final String CONDITION = "allow-relay-off";
    static final String NAME = "M365AllowRelay";
    static final String ALLOW_RELAY = "allowRelay";
    static final String NETWORKS = "networks";
    static final String REFUSAL_TEXT = DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.SECURITY_AUTH)
        + " Relay from Microsoft 365 is turned off on this gateway: only mail for its own domains is accepted";

    /** Commas and any whitespace, newlines included: the ranges file may list one range a line. */
    private static final CharMatcher SEPARATORS = CharMatcher.is(',').or(CharMatcher.whitespace());
    private static final Logger DECISIONS = LoggerFactory.getLogger(DecisionLog.LOGGER_NAME);
    private static final Logger LOGGER = LoggerFactory.getLogger(M365AllowRelay.class);
    private static final HookResult REFUSED = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode(SMTPRetCode.MAILBOX_PERM_UNAVAILABLE)
        .smtpDescription(REFUSAL_TEXT)
        .build();
    private static final HookResult DOMAINS_UNREADABLE = HookResult.builder()
        .hookReturnCode(HookReturnCode.denySoft())
        .smtpReturnCode(SMTPRetCode.LOCAL_ERROR)
        .smtpDescription(DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.SYSTEM_OTHER) + " Cannot check the recipient domain now, try again later")
        .build();

    private final DomainList domainList;
    private final DNSService dnsService;
    private final Metric refused;
    private boolean allowRelay = true;
    private List<InetNetwork> networks = List.of();

    @Inject
    public M365AllowRelay(DomainList domainList, DNSService dnsService, MetricFactory metricFactory) {
        this.domainList = domainList;
        this.dnsService = dnsService;
        this.refused = metricFactory.generate(REFUSED_METRIC);
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        allowRelay = parseAllowRelay(config.getString(ALLOW_RELAY, null));
        networks = parseNetworks(config.getString(NETWORKS, null));
        LOGGER.info("{}: allowRelay={} for {} Exchange Online ranges", NAME, allowRelay, networks.size());
    }

    private static boolean parseAllowRelay(String value) throws ConfigurationException {
        if (value == null) {
            throw new ConfigurationException(NAME + ": parameter '" + ALLOW_RELAY + "' is required (true or false)");
        }
        return StrictBoolean.parse(value)
            .orElseThrow(() -> new ConfigurationException(NAME + ": parameter '" + ALLOW_RELAY + "' must be 'true' or 'false', got '" + value + "'"));
    }

    private List<InetNetwork> parseNetworks(String value) throws ConfigurationException {
        List<String> entries = value == null ? List.of() : Splitter.on(SEPARATORS).omitEmptyStrings().splitToList(value);
        if (entries.isEmpty()) {
            throw new ConfigurationException(NAME + ": parameter '" + NETWORKS + "' is required: Microsoft's Exchange Online ranges");
        }
        InetNetworkBuilder builder = new InetNetworkBuilder(dnsService);
        ImmutableList.Builder<InetNetwork> parsed = ImmutableList.builder();
        for (String entry : entries) {
            if (!entry.matches("[0-9A-Fa-f:.]+(/[0-9.]+)?")) {
                throw new ConfigurationException(NAME + ": parameter '" + NETWORKS + "' has '" + entry + "', not an address or a CIDR range");
            }
            try {
                parsed.add(builder.getFromString(entry));
            } catch (UnknownHostException | RuntimeException e) {
                throw new ConfigurationException(NAME + ": parameter '" + NETWORKS + "' has '" + entry + "', not an address or a CIDR range");
            }
        }
        return parsed.build();
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        if (allowRelay || session.getUsername() != null) {
            return HookResult.DECLINED;
        }
        Optional<InetAddress> client = Optional.ofNullable(session.getRemoteAddress()).map(InetSocketAddress::getAddress);
        if (client.isEmpty() || networks.stream().noneMatch(network -> network.contains(client.get()))) {
            return HookResult.DECLINED;
        }
        try {
            if (domainList.containsDomain(rcpt.getDomain())) {
                return HookResult.DECLINED;
            }
        } catch (DomainListException | RuntimeException e) {
            LOGGER.warn("{}: cannot read the DomainList to check recipient domain {}", NAME, rcpt.getDomain().asString(), e);
            return DOMAINS_UNREADABLE;
        }
        refused.increment();
        DECISIONS.info(line(session, sender, client.get(), rcpt.getDomain()));
        return REFUSED;
    }

    private static String line(SMTPSession session, MaybeSender sender, InetAddress client, Domain recipientDomain) {
        return new DecisionLine()
            .add("decision", "refuse")
            .add("action", "reject-rcpt")
            .add("mode", Optional.empty())
            .add("profile", Optional.empty())
            .add("route", "smtp")
            .add("rule", RULE)
            .add("condition", CONDITION)
            .add("mail", Optional.empty())
            .add("remoteHost", Optional.empty())
            .add("remoteIp", client.getHostAddress())
            .add("sender", sender.asString("<>"))
            .add("recipients", 1)
            .add("recipientDomain", recipientDomain.asString())
            .add("originatorOrg", Optional.empty())
            .add("messageSource", Optional.empty())
            .add("xoorg", Optional.empty())
            .add("tenant", Optional.empty())
            .add("tls", session.getSSLSession().map(SSLSession::getProtocol).orElse(TlsSessionAttribute.NONE))
            .toString();
    }

    /** Whether this listener lets Exchange Online's clients relay (for the log and tests). */
    public boolean allowsRelay() {
        return allowRelay;
    }
}
