package org.relayguard.webadmin.configuration;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.james.server.core.configuration.FileConfigurationProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class AllowedOrgsTest {

    /** Parsed as James parses it: entities expanded, no list splitting. */
    private static XMLConfiguration parse(InputStream xml) throws Exception {
        return FileConfigurationProvider.getConfig(xml);
    }

    private static XMLConfiguration parse(String xml) throws Exception {
        return parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"conf/mailetcontainer.xml", "profiles/proofpoint/mailetcontainer.xml"})
    void fromMailetContainerShouldReadTheTenantOrgsOfTheShippedProfiles(String file) throws Exception {
        AllowedOrgs allowed = AllowedOrgs.fromMailetContainer(parse(ShippedConf.open(file)));

        assertThat(allowed.asList()).containsExactly("contoso.onmicrosoft.com", "contoso.com");
        assertThat(allowed.source()).contains("mailetcontainer.xml");
    }

    @Test
    void fromMailetContainerShouldNormaliseAndFindNestedNotmatchConditions() throws Exception {
        AllowedOrgs allowed = AllowedOrgs.fromMailetContainer(parse("<mailetcontainer><processors>"
            + "<processor state='m365_mail'>"
            + "<matcher name='x' match='org.apache.james.mailetcontainer.impl.matchers.And'>"
            + "<matcher notmatch='org.relayguard.matchers.HeaderNotEquals=x-originatororg: Fabrikam.COM ,  contoso.com'/>"
            + "</matcher>"
            + "</processor></processors></mailetcontainer>"));

        assertThat(allowed.asList()).containsExactly("fabrikam.com", "contoso.com");
    }

    @Test
    void fromMailetContainerShouldKeepOnlyValuesEveryConditionAllows() throws Exception {
        AllowedOrgs allowed = AllowedOrgs.fromMailetContainer(parse("<mailetcontainer><processors>"
            + "<processor state='a'><mailet match='org.relayguard.matchers.HeaderNotEquals=X-OriginatorOrg:a.com, b.com' class='Null'/></processor>"
            + "<processor state='b'><mailet match='org.relayguard.matchers.HeaderNotEquals=X-OriginatorOrg:b.com, c.com' class='Null'/></processor>"
            + "</processors></mailetcontainer>"));

        assertThat(allowed.asList()).containsExactly("b.com");
        assertThat(allowed.source()).contains("2 conditions");
    }

    @Test
    void fromMailetContainerShouldReadTheSessionTenantConditionToo() throws Exception {
        AllowedOrgs allowed = AllowedOrgs.fromMailetContainer(parse("<mailetcontainer><processors>"
            + "<processor state='a'><mailet match='org.relayguard.matchers.HeaderNotEquals=X-OriginatorOrg:a.com, b.com' class='Null'/></processor>"
            + "<processor state='b'><matcher name='x' match='org.relayguard.matchers.XoorgNotEquals=B.com, c.com'/></processor>"
            + "</processors></mailetcontainer>"));

        assertThat(allowed.asList()).containsExactly("b.com");
        assertThat(allowed.source()).contains("2 conditions");
    }

    @Test
    void fromMailetContainerShouldIgnoreOtherHeadersAndMatchers() throws Exception {
        AllowedOrgs allowed = AllowedOrgs.fromMailetContainer(parse("<mailetcontainer><processors><processor state='a'>"
            + "<mailet match='org.relayguard.matchers.HeaderNotEquals=X-MS-Exchange-Generated-Message-Source:Mailbox Rules Agent' class='Null'/>"
            + "<mailet match='org.relayguard.matchers.HeaderNotContains=X-OriginatorOrg:contoso' class='Null'/>"
            + "<mailet match='All' class='Null'/>"
            + "</processor></processors></mailetcontainer>"));

        assertThat(allowed.values()).isEmpty();
        assertThat(allowed.source()).contains("has no org.relayguard.matchers.HeaderNotEquals=X-OriginatorOrg");
    }
}
