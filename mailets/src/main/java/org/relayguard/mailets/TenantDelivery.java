package org.relayguard.mailets;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.relayguard.core.dns.DomainListLookup;
import org.relayguard.core.tenants.Tenant;
import org.relayguard.core.tenants.Tenants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Iterators;

/**
 * Step 2 for several Microsoft 365 tenants: mail for a tenant's domains goes to that tenant's smart
 * host, through a delivery queue of its own ({@code to-m365-<tenant>}). One {@link PooledDelivery}
 * per tenant does the delivering (many mails per connection to the smart host), with this mailet's
 * parameters; with {@code <delivery>RemoteDelivery</delivery>}, one James {@link RemoteDelivery}.
 *
 * <p>Parameters: {@code tenants}, the tenants description ({@link Tenants}), and any parameter of
 * James's {@code RemoteDelivery} ({@code delayTime}, {@code maxRetries}, {@code bounceProcessor},
 * {@code startTLS}, {@code mail.*}...), handed to each tenant's. Except {@code gateway} and
 * {@code outgoing}, which are set per tenant (its smart host, its queue) and refused here;
 * PooledDelivery also reads {@code maxConnectionsPerHost} and {@code idleTimeout}.</p>
 *
 * <p>A recipient belongs to the tenant that lists its domain, otherwise to the {@code @domainlist}
 * tenant when James's DomainList holds it. A mail for one tenant goes on as it is; a mail for
 * several is copied, one copy per tenant with its recipients. Recipients no tenant owns stay on the
 * mail, which goes to state {@code error} with a message naming their domains: it lands in the error
 * repository, from which it is reprocessed into this processor once a tenant lists the domain.</p>
 *
 * <pre>{@code
 * <mailet match="All" class="org.relayguard.mailets.TenantDelivery">
 *     <tenants>contoso: domains @domainlist; smarthost contoso-com.mail.protection.outlook.com</tenants>
 *     <delayTime>5000, 60000, 300000, 4*900000, 119*3600000</delayTime>
 *     <maxRetries>126</maxRetries>
 *     <bounceProcessor>bounces</bounceProcessor>
 * </mailet>
 * }</pre>
 */
public class TenantDelivery extends GenericMailet {
    static final String NAME = "TenantDelivery";
    static final String TENANTS = "tenants";
    static final String GATEWAY = "gateway";
    static final String OUTGOING = "outgoing";
    /** Which mailet delivers each tenant's queue: {@code PooledDelivery} (the default) or {@code RemoteDelivery} (James's). */
    static final String DELIVERY = "delivery";
    /** Each tenant's delivery queue is this prefix and the tenant's name. */
    public static final String QUEUE_PREFIX = "to-m365-";

    private static final Logger LOGGER = LoggerFactory.getLogger(TenantDelivery.class);

    private final DeliveryServices services;
    private Tenants tenants = Tenants.none();
    private DomainListLookup domainListLookup;
    private Map<String, GenericMailet> deliveries = ImmutableMap.of();
    private boolean pooled;

    @Inject
    public TenantDelivery(DeliveryServices services) {
        this.services = services;
    }

    @Override
    public void init() throws MessagingException {
        for (String setPerTenant : List.of(GATEWAY, OUTGOING)) {
            if (Iterators.contains(getInitParameterNames(), setPerTenant)) {
                throw new MessagingException(NAME + ": parameter '" + setPerTenant + "' is set per tenant (smarthost, queue "
                    + QUEUE_PREFIX + "<tenant>): remove it");
            }
        }
        String description = getInitParameter(TENANTS);
        if (description == null) {
            throw new MessagingException(NAME + ": parameter '" + TENANTS + "' is required (the tenants description)");
        }
        tenants = Tenants.parse(NAME, description);
        domainListLookup = new DomainListLookup(services.domainList(), NAME);
        pooled = DeliveryServices.pooled(NAME, getInitParameter(DELIVERY));
        Map<String, GenericMailet> started = new LinkedHashMap<>();
        try {
            for (Tenant tenant : tenants.all()) {
                started.put(tenant.name(), delivery(tenant, pooled));
                warnAboutDomainsNotInTheDomainList(tenant);
            }
        } catch (MessagingException e) {
            started.values().forEach(TenantDelivery::destroyQuietly);
            throw e;
        }
        deliveries = ImmutableMap.copyOf(started);
    }

    private GenericMailet delivery(Tenant tenant, boolean pooled) throws MessagingException {
        GenericMailet delivery = services.mailet(pooled);
        try {
            // The tenant's smart host and queue; every other parameter is this mailet's.
            delivery.init(new DeliveryConfig(getMailetConfig(), getMailetName() + "[" + tenant.name() + "]", Set.of(TENANTS, DELIVERY),
                ImmutableMap.of(GATEWAY, tenant.smartHost(), OUTGOING, QUEUE_PREFIX + tenant.name())));
        } catch (MessagingException | RuntimeException e) {
            throw new MessagingException(NAME + ": tenant '" + tenant.name() + "': " + (pooled ? "PooledDelivery" : "RemoteDelivery")
                + " refused its configuration: " + e.getMessage(), e);
        }
        return delivery;
    }

    /** A listed domain that the DomainList lacks is not ours for HostIsLocal: its mail never gets here. */
    private void warnAboutDomainsNotInTheDomainList(Tenant tenant) {
        for (String domain : tenant.domains()) {
            try {
                if (!services.domainList().containsDomain(Domain.of(domain))) {
                    LOGGER.warn("{}: domain {} of tenant {} is not in James's DomainList: mail for it is not routed to {}",
                        NAME, domain, tenant.name(), tenant.smartHost());
                }
            } catch (DomainListException | RuntimeException e) {
                LOGGER.warn("{}: cannot check that domain {} of tenant {} is in James's DomainList", NAME, domain, tenant.name(), e);
            }
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (!pooled && Utf8Envelope.keptFromRemoteDelivery(mail, NAME)) {
            return;
        }
        Map<String, List<MailAddress>> byTenant = new LinkedHashMap<>();
        List<MailAddress> unowned = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            tenants.owner(recipient.getDomain(), domainListLookup)
                .ifPresentOrElse(tenant -> byTenant.computeIfAbsent(tenant.name(), name -> new ArrayList<>()).add(recipient),
                    () -> unowned.add(recipient));
        }
        if (unowned.isEmpty() && byTenant.size() == 1) {
            // RemoteDelivery queues the mail and ends its processing (state ghost).
            deliveries.get(byTenant.keySet().iterator().next()).service(mail);
            return;
        }
        for (Map.Entry<String, List<MailAddress>> tenant : byTenant.entrySet()) {
            Mail copy = mail.duplicate();
            try {
                copy.setRecipients(tenant.getValue());
                deliveries.get(tenant.getKey()).service(copy);
            } finally {
                LifecycleUtil.dispose(copy);
            }
        }
        if (unowned.isEmpty()) {
            mail.setState(Mail.GHOST);
            return;
        }
        Set<String> domains = new TreeSet<>();
        unowned.forEach(recipient -> domains.add(recipient.getDomain().asString()));
        LOGGER.error("{}: mail {}: no tenant owns {}; {} recipient(s) go to the error processor", NAME, mail.getName(), domains, unowned.size());
        mail.setRecipients(unowned);
        mail.setErrorMessage(NAME + ": no tenant owns " + String.join(", ", domains)
            + ": list it in a tenant's domains, restart, and reprocess this mail into the processor of " + NAME);
        mail.setState(Mail.ERROR);
    }

    @Override
    public void destroy() {
        deliveries.values().forEach(TenantDelivery::destroyQuietly);
    }

    private static void destroyQuietly(GenericMailet delivery) {
        try {
            delivery.destroy();
        } catch (RuntimeException e) {
            LOGGER.warn("{}: error while stopping a tenant's RemoteDelivery", NAME, e);
        }
    }

    /** The bounce and success processors of the tenants' RemoteDelivery: James checks that they exist. */
    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        return deliveries.values().stream()
            .flatMap(delivery -> delivery.requiredProcessingState().stream())
            .collect(ImmutableSet.toImmutableSet());
    }

    @Override
    public String getMailetInfo() {
        return NAME + " (" + deliveries.size() + " tenant" + (deliveries.size() == 1 ? "" : "s") + ")";
    }
}
