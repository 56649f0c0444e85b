package org.relayguard.webadmin.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.commons.configuration2.BaseConfiguration;
import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.junit.jupiter.api.Test;

class AllowedHostsTest {
    private static Configuration webadmin(String allowedHosts) {
        BaseConfiguration configuration = new BaseConfiguration();
        if (allowedHosts != null) {
            configuration.addProperty(AllowedHosts.PARAMETER, allowedHosts);
        }
        return configuration;
    }

    @Test
    void defaultShouldAllowTheListenerAddressAndLocalhostWithThePort() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin(null), "127.0.0.1", 8000);

        assertThat(hosts.allows("127.0.0.1:8000")).isTrue();
        assertThat(hosts.allows("localhost:8000")).isTrue();
        assertThat(hosts.allows("LocalHost:8000")).isTrue();
    }

    @Test
    void defaultShouldRefuseAnotherNameOrPort() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin(""), "127.0.0.1", 8000);

        assertThat(hosts.allows("attacker.example")).isFalse();
        assertThat(hosts.allows("attacker.example:8000")).isFalse();
        assertThat(hosts.allows("localhost:8001")).isFalse();
        assertThat(hosts.allows("localhost")).isFalse();
        assertThat(hosts.allows("localhost.attacker.example:8000")).isFalse();
        assertThat(hosts.allows("")).isFalse();
        assertThat(hosts.allows("localhost:8000/x")).isFalse();
        assertThat(hosts.allows("user@localhost:8000")).isFalse();
    }

    @Test
    void absentHostShouldBeAllowedAsNoBrowserOmitsIt() throws Exception {
        assertThat(AllowedHosts.fromWebAdminProperties(webadmin(null), "127.0.0.1", 8000).allows(null)).isTrue();
    }

    @Test
    void hostWithoutPortShouldMeanPort80() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin(null), "127.0.0.1", 80);

        assertThat(hosts.allows("localhost")).isTrue();
    }

    @Test
    void anyAddressListenerShouldAllowOnlyLocalhostByDefault() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin(null), "0.0.0.0", 8000);

        assertThat(hosts.hosts()).containsExactly("localhost:8000");
    }

    @Test
    void ipv6ListenerShouldBeBracketed() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin(null), "::1", 8000);

        assertThat(hosts.allows("[::1]:8000")).isTrue();
    }

    @Test
    void configuredHostsShouldReplaceTheDefault() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin("gateway.example.com, localhost:9000"), "127.0.0.1", 8000);

        assertThat(hosts.allows("gateway.example.com:8000")).isTrue();
        assertThat(hosts.allows("localhost:9000")).isTrue();
        assertThat(hosts.allows("localhost:8000")).isFalse();
        assertThat(hosts.allows("127.0.0.1:8000")).isFalse();
    }

    @Test
    void blankConfiguredValueShouldMeanTheDefault() throws Exception {
        AllowedHosts hosts = AllowedHosts.fromWebAdminProperties(webadmin(" , "), "127.0.0.1", 8000);

        assertThat(hosts.hosts()).containsExactlyInAnyOrder("localhost:8000", "127.0.0.1:8000");
    }

    @Test
    void wildcardOrUrlShouldBeRefusedNamingTheParameter() {
        assertThatThrownBy(() -> AllowedHosts.fromWebAdminProperties(webadmin("*"), "127.0.0.1", 8000))
            .isInstanceOf(ConfigurationException.class)
            .hasMessageContaining(AllowedHosts.PARAMETER);
        assertThatThrownBy(() -> AllowedHosts.fromWebAdminProperties(webadmin("http://localhost:8000"), "127.0.0.1", 8000))
            .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> AllowedHosts.fromWebAdminProperties(webadmin("localhost:99999"), "127.0.0.1", 8000))
            .isInstanceOf(ConfigurationException.class);
    }
}
