package org.relayguard.webadmin.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.server.core.configuration.FileConfigurationProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfiguredTenantsTest {
    private static final AllowedOrgs ALLOWED = AllowedOrgs.of(List.of("contoso.onmicrosoft.com", "contoso.com"), "test");
    private static final String TWO_TENANTS = "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com; smarthost mx.contoso.com"
        + " | fabrikam: orgs fabrikam.example; domains fabrikam.example; smarthost mx.fabrikam.example";

    private static XMLConfiguration parse(String xml) throws Exception {
        return FileConfigurationProvider.getConfig(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"conf/mailetcontainer.xml", "profiles/proofpoint/mailetcontainer.xml"})
    void fromMailetContainerShouldReadTheShippedLoneTenantWithTheAllowedOrgs(String file) throws Exception {
        ConfiguredTenants tenants = ConfiguredTenants.fromMailetContainer(
            FileConfigurationProvider.getConfig(ShippedConf.open(file)), ALLOWED);

        assertThat(tenants.names()).containsExactly("contoso");
        assertThat(tenants.tenants().all().get(0).orgs()).containsExactly("contoso.onmicrosoft.com", "contoso.com");
        assertThat(tenants.tenants().all().get(0).smartHost()).as("the ${env:...} default, as James reads it")
            .isEqualTo("contoso-com.mail.protection.outlook.com");
        assertThat(tenants.source()).isEqualTo("mailetcontainer.xml, LogDecision parameter tenants");
    }

    @Test
    void fromMailetContainerShouldPreferTheDenyLogDecisionThenTenantDeliveryThenTheMatcher() throws Exception {
        String matcher = "<processor state='m365_mail'><matcher name='b' match='org.apache.james.mailetcontainer.impl.matchers.And'>"
            + "<matcher match='org.relayguard.matchers.SenderNotOwnedByTenant=" + TWO_TENANTS + "'/></matcher></processor>";
        String delivery = "<processor state='to_m365'><mailet match='All' class='org.relayguard.mailets.TenantDelivery'>"
            + "<tenants>other: orgs other.example; domains other.example; smarthost mx.other.example</tenants></mailet></processor>";
        String log = "<processor state='m365_relaydeny'><mailet match='All' class='org.relayguard.mailets.LogDecision'>"
            + "<decision>deny</decision><tenants>third: orgs third.example; domains third.example; smarthost mx.third.example</tenants>"
            + "</mailet></processor>";

        assertThat(ConfiguredTenants.fromMailetContainer(parse("<mailetcontainer><processors>" + matcher + "</processors></mailetcontainer>"), ALLOWED)
            .names()).containsExactly("contoso", "fabrikam");
        assertThat(ConfiguredTenants.fromMailetContainer(parse("<mailetcontainer><processors>" + matcher + delivery + "</processors></mailetcontainer>"),
            ALLOWED).names()).containsExactly("other");
        assertThat(ConfiguredTenants.fromMailetContainer(parse("<mailetcontainer><processors>" + matcher + delivery + log
            + "</processors></mailetcontainer>"), ALLOWED).names()).containsExactly("third");
    }

    @Test
    void fromMailetContainerShouldSayWhenThereIsNoDescription() throws Exception {
        ConfiguredTenants tenants = ConfiguredTenants.fromMailetContainer(parse("<mailetcontainer><processors/></mailetcontainer>"), ALLOWED);

        assertThat(tenants.names()).isEmpty();
        assertThat(tenants.source()).isEqualTo("mailetcontainer.xml has no tenants description");
    }

    @Test
    void fromMailetContainerShouldRefuseABadDescription() {
        assertThatThrownBy(() -> ConfiguredTenants.fromMailetContainer(parse("<mailetcontainer><processors><processor state='to_m365'>"
                + "<mailet match='All' class='org.relayguard.mailets.TenantDelivery'><tenants>contoso: domains contoso.com</tenants></mailet>"
                + "</processor></processors></mailetcontainer>"), ALLOWED))
            .isInstanceOf(ConfigurationException.class)
            .hasMessage("Relay Guard quarantine report (TenantDelivery parameter tenants): tenant 'contoso': no smarthost");
    }
}
