package org.relayguard.server.database;

import javax.inject.Singleton;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.jpa.JPAMailRepository;
import org.apache.james.mailrepository.memory.MailRepositoryStoreConfiguration;
import org.apache.james.server.core.configuration.ConfigurationProvider;

import com.google.common.collect.ImmutableList;
import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/**
 * Mail repositories in the database ({@code jpa://}, James's {@code JPAMailRepository}), beside the
 * protocols {@code conf/mailrepositorystore.xml} names, so that gateways that share a database share
 * their quarantine: {@code RELAYGUARD_QUARANTINE=jpa://var/mail/m365-relaydeny/}. Webadmin addresses
 * a repository by its path, which stays {@code var/mail/m365-relaydeny}.
 *
 * <p>The repository is created by James's own loader, with the {@code EntityManagerFactory} of
 * {@link DatabaseModule} (persistence unit {@code RelayGuard}, which lists James's
 * {@code JPAMail} and {@code JPAUrl}). It overrides the store configuration of James's
 * {@code MailStoreRepositoryModule}; the file still decides the other protocols and the default one.</p>
 */
public final class JpaMailRepositoryModule extends AbstractModule {
    static final Protocol JPA = new Protocol("jpa");

    @Provides
    @Singleton
    MailRepositoryStoreConfiguration storeConfiguration(ConfigurationProvider configurationProvider) throws ConfigurationException {
        MailRepositoryStoreConfiguration file = MailRepositoryStoreConfiguration.parse(configurationProvider.getConfiguration("mailrepositorystore"));
        return withJpa(file);
    }

    /** The file's protocols, and {@code jpa} unless the file maps it already. */
    static MailRepositoryStoreConfiguration withJpa(MailRepositoryStoreConfiguration file) {
        boolean mapped = file.getItems().stream().anyMatch(item -> item.getProtocols().contains(JPA));
        if (mapped) {
            return file;
        }
        MailRepositoryStoreConfiguration.Item jpa = new MailRepositoryStoreConfiguration.Item(
            ImmutableList.of(JPA), JPAMailRepository.class.getName(), new BaseHierarchicalConfiguration());
        return new MailRepositoryStoreConfiguration(
            ImmutableList.<MailRepositoryStoreConfiguration.Item>builder().addAll(file.getItems()).add(jpa).build(),
            file.getDefaultProtocol());
    }
}
