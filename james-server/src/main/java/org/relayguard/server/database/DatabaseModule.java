package org.relayguard.server.database;

import java.io.FileNotFoundException;

import javax.inject.Singleton;
import javax.persistence.EntityManagerFactory;
import javax.persistence.Persistence;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.utils.PropertiesProvider;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/**
 * The server's database: {@code conf/james-database.properties} ({@link DatabaseConfiguration},
 * embedded Derby without the file) and the {@code EntityManagerFactory} of this jar's persistence
 * unit, which the DomainList and the {@code jpa://} mail repositories share.
 */
public final class DatabaseModule extends AbstractModule {
    /** The persistence unit of this jar's {@code META-INF/persistence.xml}. */
    static final String PERSISTENCE_UNIT = "RelayGuard";

    @Provides
    @Singleton
    DatabaseConfiguration databaseConfiguration(PropertiesProvider propertiesProvider) throws ConfigurationException {
        try {
            return DatabaseConfiguration.from(propertiesProvider.getConfiguration("james-database"));
        } catch (FileNotFoundException e) {
            return DatabaseConfiguration.EMBEDDED_DERBY;
        }
    }

    @Provides
    @Singleton
    EntityManagerFactory entityManagerFactory(DatabaseConfiguration configuration) {
        return Persistence.createEntityManagerFactory(PERSISTENCE_UNIT, configuration.openJpaProperties());
    }
}
