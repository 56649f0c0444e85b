package org.relayguard.server.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.commons.configuration2.BaseConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;

class DatabaseConfigurationTest {
    static {
        // Loading Derby's driver boots Derby, which writes derby.log into the working directory otherwise.
        System.setProperty("derby.stream.error.file", "target/derby-test.log");
    }

    private static BaseConfiguration file(String driver, String url) {
        BaseConfiguration file = new BaseConfiguration();
        file.addProperty(DatabaseConfiguration.DRIVER, driver);
        file.addProperty(DatabaseConfiguration.URL, url);
        return file;
    }

    private static BaseConfiguration postgres() {
        return file("org.postgresql.Driver", "jdbc:postgresql://127.0.0.1:5432/relayguard");
    }

    @Test
    void embeddedDerbyShouldKeepTheDomainListCopyByDefault() throws Exception {
        assertThat(DatabaseConfiguration.EMBEDDED_DERBY.domainListCopy()).isTrue();
        assertThat(DatabaseConfiguration.from(file("org.apache.derby.jdbc.EmbeddedDriver", "jdbc:derby:/var/relayguard/derby;create=true"))
            .domainListCopy()).isTrue();
    }

    @Test
    void aDatabaseOtherServersMayShareShouldBeReadLiveByDefault() throws Exception {
        assertThat(DatabaseConfiguration.from(postgres()).domainListCopy()).isFalse();
        assertThat(DatabaseConfiguration.from(file("org.apache.derby.jdbc.EmbeddedDriver", "jdbc:derby://db.example:1527/relayguard"))
            .domainListCopy()).as("Derby's network server").isFalse();
    }

    @Test
    void domainListCopyShouldFollowTheOperatorsChoice() throws Exception {
        BaseConfiguration file = postgres();
        file.addProperty(DatabaseConfiguration.DOMAIN_LIST_COPY, "TRUE");

        assertThat(DatabaseConfiguration.from(file).domainListCopy()).isTrue();
    }

    @Test
    void anInvalidDomainListCopyShouldNameTheFileAndTheProperty() {
        BaseConfiguration file = postgres();
        file.addProperty(DatabaseConfiguration.DOMAIN_LIST_COPY, "yes");

        assertThatThrownBy(() -> DatabaseConfiguration.from(file))
            .isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("james-database.properties")
            .hasMessageContaining("relayguard.domainlist.copy");
    }

    @Test
    void theOwnPropertyShouldNotReachOpenJpa() throws Exception {
        BaseConfiguration file = postgres();
        file.addProperty(DatabaseConfiguration.DOMAIN_LIST_COPY, "false");

        assertThat(DatabaseConfiguration.from(file).openJpaProperties())
            .containsEntry("openjpa.ConnectionDriverName", "org.postgresql.Driver")
            .doesNotContainKey(DatabaseConfiguration.DOMAIN_LIST_COPY);
    }
}
