package org.relayguard.server.domainlist;

import javax.inject.Singleton;

import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.jpa.JPADomainList;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.relayguard.server.database.DatabaseConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.multibindings.ProvidesIntoSet;

/**
 * James's DomainList in a database ({@code JPADomainList}), so that a domain added through webadmin
 * {@code PUT /domains/...} is still ours after a restart: mail for it still goes to the Microsoft 365
 * smart host, and {@code SenderInDomainSet=@domainlist} still counts it. Embedded Derby under
 * {@code var/} unless {@code conf/james-database.properties} says otherwise
 * ({@link DatabaseConfiguration}; its {@code EntityManagerFactory} is
 * {@link org.relayguard.server.database.DatabaseModule}'s). It overrides the memory server's
 * {@code MemoryDomainList}; {@code conf/domainlist.xml} is read as before, its domains added at every start.
 *
 * <p>On embedded Derby the DomainList answers from a copy in memory ({@link CachingDomainList}): a
 * database query per question cost 18% of the server's CPU. On a database that other gateways may
 * share (any other), every question goes to the database, so that a domain added on one node counts
 * on all of them for the very next mail; {@code relayguard.domainlist.copy} overrides the choice.</p>
 */
public final class DurableDomainListModule extends AbstractModule {
    private static final Logger LOGGER = LoggerFactory.getLogger(DurableDomainListModule.class);

    @Override
    protected void configure() {
        bind(JPADomainList.class).in(Scopes.SINGLETON);
    }

    @Provides
    @Singleton
    DomainList domainList(DatabaseConfiguration database, JPADomainList stored) {
        if (database.domainListCopy()) {
            return new CachingDomainList(stored);
        }
        LOGGER.info("DomainList: every question is asked of the database {} ({}=false)", database.url(), DatabaseConfiguration.DOMAIN_LIST_COPY);
        return stored;
    }

    @ProvidesIntoSet
    InitializationOperation configureDomainList(DomainListConfiguration configuration, JPADomainList stored, DomainList domainList) {
        return InitilizationOperationBuilder
            .forClass(JPADomainList.class)
            .init(() -> {
                stored.configure(configuration);
                if (domainList instanceof CachingDomainList) {
                    // domainlist.xml's domains were added to the database directly: read them into the copy.
                    ((CachingDomainList) domainList).reload();
                }
            });
    }
}
