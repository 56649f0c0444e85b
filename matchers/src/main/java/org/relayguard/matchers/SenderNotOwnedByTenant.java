package org.relayguard.matchers;

import java.util.Collection;

import javax.inject.Inject;

import org.apache.james.core.Domain;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.Mail;

import com.google.common.collect.ImmutableList;

/**
 * Tenant binding: matches mail from one of our Microsoft 365 tenants whose envelope sender (MAIL
 * FROM) domain belongs to another of our tenants, so that no tenant relays as another with the
 * gateway's reputation.
 *
 * <p>Condition: the tenants description ({@link Tenants}, the {@code tenants} entity). The tenant a
 * mail comes from is the one the SMTP session named (XOORG) when it named one, otherwise the one
 * whose org every {@code X-OriginatorOrg} instance is ({@link Tenants#identify}). A domain is owned
 * by the tenant that lists it, otherwise by the {@code @domainlist} tenant when James's DomainList
 * holds it.</p>
 *
 * <p>Matches (all recipients) when a tenant is identified and the sender's domain is owned by
 * another tenant. Does not match the null sender, a sender domain no tenant owns, nor mail from no
 * identified tenant: the other rules decide those (a mailbox-rules forward keeps working, since
 * Microsoft 365 rewrites its envelope sender into the forwarding tenant's domain). With one tenant
 * it never matches. Fail closed: headers that cannot be read match, and are logged; a DomainList
 * that cannot be read throws, and the mailet's {@code onMatchException} decides.</p>
 *
 * <pre>{@code
 * <mailet match="org.relayguard.matchers.SenderNotOwnedByTenant=contoso: orgs contoso.onmicrosoft.com, contoso.com;
 *     domains contoso.com, contoso.onmicrosoft.com; smarthost contoso-com.mail.protection.outlook.com
 *   | fabrikam: orgs fabrikam.onmicrosoft.com; domains fabrikam.example; smarthost fabrikam-example.mail.protection.outlook.com"
 *     class="ToProcessor">
 *     <processor>m365_relaydeny</processor>
 *     <onMatchException>matchall</onMatchException>
 * </mailet>
 * }</pre>
 */
public class SenderNotOwnedByTenant extends TenantBindingMatcher {
    static final String NAME = "SenderNotOwnedByTenant";

    @Inject
    public SenderNotOwnedByTenant(DomainList domainList) {
        super(NAME, domainList);
    }

    @Override
    Collection<Domain> claimedDomains(Mail mail) {
        MaybeSender sender = mail.getMaybeSender();
        if (sender.isNullSender()) {
            return ImmutableList.of();
        }
        return ImmutableList.of(sender.get().getDomain());
    }
}
