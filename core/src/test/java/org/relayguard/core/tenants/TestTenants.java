package org.relayguard.core.tenants;

import static org.mockito.Mockito.mock;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.domainlist.memory.MemoryDomainList;

/** Two tenants described as an operator writes them, and a DomainList holding given domains, for the tests of core and of the matchers. */
public final class TestTenants {
    public static final String CONTOSO = "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com, contoso.onmicrosoft.com;"
        + " smarthost contoso-com.mail.protection.outlook.com";
    public static final String FABRIKAM = "fabrikam: orgs fabrikam.onmicrosoft.com, fabrikam.example; domains fabrikam.example, fabrikam.onmicrosoft.com;"
        + " smarthost fabrikam-example.mail.protection.outlook.com";
    public static final String TWO_TENANTS = CONTOSO + " | " + FABRIKAM;

    private TestTenants() {
    }

    public static Tenants parse(String description) throws MessagingException {
        return Tenants.parse("Test", description);
    }

    public static MemoryDomainList domainList(String... domains) throws Exception {
        MemoryDomainList domainList = new MemoryDomainList(mock(DNSService.class));
        domainList.configure(DomainListConfiguration.builder()
            .autoDetect(false)
            .autoDetectIp(false)
            .build());
        for (String domain : domains) {
            domainList.addDomain(Domain.of(domain));
        }
        return domainList;
    }
}
