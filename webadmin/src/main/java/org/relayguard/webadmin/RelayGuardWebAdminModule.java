package org.relayguard.webadmin;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.server.core.configuration.ConfigurationProvider;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.configuration.GatewayMode;
import org.relayguard.webadmin.quarantine.QuarantineSummaries;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;

/**
 * Guice bindings for the quarantine report, which James adds to the injector of its extensions when
 * {@code extensions.properties} says
 * {@code guice.extension.module=org.relayguard.webadmin.RelayGuardWebAdminModule}.
 *
 * <p>It gives the report and the review page the allowed {@code X-OriginatorOrg} values, the tenants,
 * the mode and the profile of the running configuration, read once from {@code mailetcontainer.xml} (James reads it once too: a change needs
 * a restart).
 * Without this module James refuses to start with a Guice error naming {@link AllowedOrgs}.</p>
 */
public class RelayGuardWebAdminModule extends AbstractModule {
    @Provides
    @Singleton
    AllowedOrgs allowedOrgs(ConfigurationProvider configurationProvider) throws ConfigurationException {
        return AllowedOrgs.fromMailetContainer(configurationProvider.getConfiguration("mailetcontainer"));
    }

    @Provides
    @Singleton
    ConfiguredTenants tenants(ConfigurationProvider configurationProvider, AllowedOrgs allowedOrgs) throws ConfigurationException {
        return ConfiguredTenants.fromMailetContainer(configurationProvider.getConfiguration("mailetcontainer"), allowedOrgs);
    }

    /** One for the report and the review page, so that each quarantined mail is read once for both. */
    @Provides
    @Singleton
    QuarantineSummaries summaries(ConfiguredTenants tenants) {
        return new QuarantineSummaries(tenants);
    }

    @Provides
    @Singleton
    GatewayMode gatewayMode(ConfigurationProvider configurationProvider) throws ConfigurationException {
        return GatewayMode.fromMailetContainer(configurationProvider.getConfiguration("mailetcontainer"));
    }
}
