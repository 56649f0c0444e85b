package org.relayguard.server.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.jpa.JPAMailRepository;
import org.apache.james.mailrepository.memory.MailRepositoryStoreConfiguration;
import org.junit.jupiter.api.Test;

class JpaMailRepositoryModuleTest {
    private static final Protocol FILE = new Protocol("file");
    private static final MailRepositoryStoreConfiguration.Item FILE_ITEM = new MailRepositoryStoreConfiguration.Item(
        List.of(FILE), "org.apache.james.mailrepository.file.FileMailRepository", new BaseHierarchicalConfiguration());

    @Test
    void withJpaShouldAddTheJpaProtocolAndKeepTheFilesOwn() {
        MailRepositoryStoreConfiguration configuration = JpaMailRepositoryModule.withJpa(
            new MailRepositoryStoreConfiguration(List.of(FILE_ITEM), Optional.of(FILE)));

        assertThat(configuration.getItems()).hasSize(2);
        assertThat(configuration.getItems().get(0)).isSameAs(FILE_ITEM);
        assertThat(configuration.getItems().get(1).getProtocols()).containsExactly(JpaMailRepositoryModule.JPA);
        assertThat(configuration.getItems().get(1).getClassFqdn()).isEqualTo(JPAMailRepository.class.getName());
        assertThat(configuration.getDefaultProtocol()).contains(FILE);
    }

    @Test
    void withJpaShouldKeepAJpaMappingTheFileGives() {
        MailRepositoryStoreConfiguration.Item own = new MailRepositoryStoreConfiguration.Item(
            List.of(JpaMailRepositoryModule.JPA), "com.example.OwnRepository", new BaseHierarchicalConfiguration());
        MailRepositoryStoreConfiguration file = new MailRepositoryStoreConfiguration(List.of(FILE_ITEM, own), Optional.of(FILE));

        assertThat(JpaMailRepositoryModule.withJpa(file)).isSameAs(file);
    }
}
