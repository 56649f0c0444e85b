package org.relayguard.webadmin.configuration;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

import javax.mail.MessagingException;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.relayguard.core.tenants.Tenant;
import org.relayguard.core.tenants.Tenants;

import com.google.common.collect.ImmutableList;

/**
 * The tenants of the running gateway, read from {@code mailetcontainer.xml} where James reads them
 * (entities and {@code ${env:…}} resolved): the {@code tenants} parameter of the deny
 * {@code LogDecision}, whose decision log the report mirrors; otherwise that of
 * {@code TenantDelivery}; otherwise the condition of {@code SenderNotOwnedByTenant}. A lone tenant
 * described without orgs has the allowed orgs.
 */
public final class ConfiguredTenants {
    static final String LOG_DECISION = "org.relayguard.mailets.LogDecision";
    static final String TENANT_DELIVERY = "org.relayguard.mailets.TenantDelivery";
    static final String BINDING_MATCHER = "org.relayguard.matchers.SenderNotOwnedByTenant";
    private static final String COMPONENT = "Relay Guard quarantine report";
    private static final String TENANTS = "tenants";

    public static ConfiguredTenants none() {
        return new ConfiguredTenants(Tenants.none(), "no tenants description");
    }

    public static ConfiguredTenants of(Tenants tenants, String source) {
        return new ConfiguredTenants(tenants, source);
    }

    public static ConfiguredTenants fromMailetContainer(HierarchicalConfiguration<ImmutableNode> mailetContainer, AllowedOrgs allowedOrgs)
        throws ConfigurationException {
        List<HierarchicalConfiguration<ImmutableNode>> mailets = ImmutableList.copyOf(mailetContainer.configurationsAt("processors.processor.mailet"));
        Optional<String> denyLog = parameter(mailets, LOG_DECISION, mailet -> "deny".equalsIgnoreCase(mailet.getString("decision", "").trim()));
        Optional<String> delivery = parameter(mailets, TENANT_DELIVERY, mailet -> true);
        Optional<String> binding = bindingCondition(mailetContainer);
        if (denyLog.isPresent()) {
            return parse(denyLog.get(), "LogDecision parameter tenants", allowedOrgs);
        }
        if (delivery.isPresent()) {
            return parse(delivery.get(), "TenantDelivery parameter tenants", allowedOrgs);
        }
        if (binding.isPresent()) {
            return parse(binding.get(), BINDING_MATCHER + " condition", allowedOrgs);
        }
        return new ConfiguredTenants(Tenants.none(), "mailetcontainer.xml has no tenants description");
    }

    private static ConfiguredTenants parse(String description, String where, AllowedOrgs allowedOrgs) throws ConfigurationException {
        try {
            // Guice builds the report before James's mailet container: this message may be the one
            // that stops James, so it says where the description was read.
            return new ConfiguredTenants(Tenants.parse(COMPONENT + " (" + where + ")", description).withOrgsOfALoneTenant(allowedOrgs.values()),
                "mailetcontainer.xml, " + where);
        } catch (MessagingException e) {
            throw new ConfigurationException(e.getMessage(), e);
        }
    }

    private static Optional<String> parameter(List<HierarchicalConfiguration<ImmutableNode>> mailets, String mailetClass,
                                              Predicate<HierarchicalConfiguration<ImmutableNode>> which) {
        return mailets.stream()
            .filter(mailet -> mailetClass.equals(mailet.getString("[@class]", "").trim()) && which.test(mailet))
            .map(mailet -> mailet.getString(TENANTS))
            .filter(Objects::nonNull)
            .findFirst();
    }

    private static Optional<String> bindingCondition(HierarchicalConfiguration<ImmutableNode> mailetContainer) {
        for (HierarchicalConfiguration<ImmutableNode> processor : mailetContainer.configurationsAt("processors.processor")) {
            Optional<String> condition = bindingCondition(processor, "mailet").or(() -> bindingCondition(processor, "matcher"));
            if (condition.isPresent()) {
                return condition;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> bindingCondition(HierarchicalConfiguration<ImmutableNode> element, String child) {
        for (HierarchicalConfiguration<ImmutableNode> node : element.configurationsAt(child)) {
            String match = node.getString("[@match]");
            if (match != null && match.trim().startsWith(BINDING_MATCHER + "=")) {
                return Optional.of(match.trim().substring(BINDING_MATCHER.length() + 1));
            }
            Optional<String> nested = bindingCondition(node, "matcher");
            if (nested.isPresent()) {
                return nested;
            }
        }
        return Optional.empty();
    }

    private final Tenants tenants;
    private final String source;

    private ConfiguredTenants(Tenants tenants, String source) {
        this.tenants = tenants;
        this.source = source;
    }

    public Tenants tenants() {
        return tenants;
    }

    /** The tenant names, in the order of the description. */
    public List<String> names() {
        return tenants.all().stream().map(Tenant::name).collect(ImmutableList.toImmutableList());
    }

    public String source() {
        return source;
    }
}
