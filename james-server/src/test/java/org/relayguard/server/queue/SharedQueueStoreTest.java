package org.relayguard.server.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.apache.activemq.artemis.core.config.StoreConfiguration;
import org.apache.activemq.artemis.core.config.ha.SharedStoreMasterPolicyConfiguration;
import org.apache.activemq.artemis.core.config.ha.SharedStoreSlavePolicyConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.config.storage.DatabaseStorageConfiguration;
import org.apache.commons.configuration2.BaseConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;

class SharedQueueStoreTest {
    private static final Path DIRECTORY = Path.of("var/store/artemis");

    private static BaseConfiguration postgres() {
        BaseConfiguration file = new BaseConfiguration();
        file.addProperty("database.driverClassName", "org.postgresql.Driver");
        file.addProperty("database.url", "jdbc:postgresql://127.0.0.1:5432/relayguard");
        file.addProperty("database.username", "relayguard");
        file.addProperty("database.password", "secret");
        return file;
    }

    @Test
    void aNodeWithoutTheSettingKeepsItsQueuesOnItsOwnDisk() throws Exception {
        assertThat(SharedQueueStore.from(postgres(), DIRECTORY)).isSameAs(QueueStore.LOCAL);
        BaseConfiguration local = postgres();
        local.addProperty(SharedQueueStore.STORE, "local");
        assertThat(SharedQueueStore.from(local, DIRECTORY)).isSameAs(QueueStore.LOCAL);
        assertThat(QueueStore.LOCAL.bodiesInFiles()).isTrue();
    }

    @Test
    void aDatabaseStoreKeepsTheJournalInTablesOfTheNodeAndBacksUpItsPeers() throws Exception {
        BaseConfiguration file = postgres();
        file.addProperty(SharedQueueStore.STORE, "database");
        file.addProperty(SharedQueueStore.NODE, "node1");
        file.addProperty(SharedQueueStore.PEERS, "node2, node3");
        SharedQueueStore store = (SharedQueueStore) SharedQueueStore.from(file, DIRECTORY);

        assertThat(store.peers()).containsExactly("node2", "node3");
        assertThat(store.bodiesInFiles()).isFalse();
        ConfigurationImpl live = new ConfigurationImpl();
        store.configure(live);
        assertThat(live.getStoreConfiguration().getStoreType()).isEqualTo(StoreConfiguration.StoreType.DATABASE);
        DatabaseStorageConfiguration tables = (DatabaseStorageConfiguration) live.getStoreConfiguration();
        assertThat(tables.getMessageTableName()).isEqualTo("relayguard_node1_messages");
        assertThat(tables.getNodeManagerStoreTableName()).isEqualTo("relayguard_node1_node_manager");
        assertThat(tables.getPageStoreTableName()).hasSizeLessThanOrEqualTo(10);
        assertThat(tables.getJdbcLockExpirationMillis()).isLessThan(60_000);
        assertThat(live.getHAPolicyConfiguration()).isInstanceOf(SharedStoreMasterPolicyConfiguration.class);

        ConfigurationImpl backup = store.backupOf("node2");
        assertThat(((DatabaseStorageConfiguration) backup.getStoreConfiguration()).getNodeManagerStoreTableName())
            .isEqualTo("relayguard_node2_node_manager");
        assertThat(backup.getHAPolicyConfiguration()).isInstanceOf(SharedStoreSlavePolicyConfiguration.class);
    }

    @Test
    void badSettingsStopTheServerNamingTheParameter() {
        BaseConfiguration noNode = postgres();
        noNode.addProperty(SharedQueueStore.STORE, "database");
        assertThatThrownBy(() -> SharedQueueStore.from(noNode, DIRECTORY))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("relayguard.queue.node");

        BaseConfiguration self = postgres();
        self.addProperty(SharedQueueStore.STORE, "database");
        self.addProperty(SharedQueueStore.NODE, "node1");
        self.addProperty(SharedQueueStore.PEERS, "node1");
        assertThatThrownBy(() -> SharedQueueStore.from(self, DIRECTORY))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("relayguard.queue.peers");

        BaseConfiguration typo = postgres();
        typo.addProperty(SharedQueueStore.STORE, "postgres");
        assertThatThrownBy(() -> SharedQueueStore.from(typo, DIRECTORY))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("relayguard.queue.store");

        // Loading Derby's driver boots Derby, which writes its log where it is told (else in the working directory).
        System.getProperties().putIfAbsent("derby.stream.error.file", "target/derby.log");
        BaseConfiguration derby = new BaseConfiguration();
        derby.addProperty("database.driverClassName", "org.apache.derby.jdbc.EmbeddedDriver");
        derby.addProperty("database.url", "jdbc:derby:var/store/derby;create=true");
        derby.addProperty(SharedQueueStore.STORE, "database");
        derby.addProperty(SharedQueueStore.NODE, "node1");
        assertThatThrownBy(() -> SharedQueueStore.from(derby, DIRECTORY))
            .isInstanceOf(ConfigurationException.class).hasMessageContaining("not embedded Derby");
    }
}
