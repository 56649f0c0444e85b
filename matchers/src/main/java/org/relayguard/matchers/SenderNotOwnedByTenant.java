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
 * <p>Condition: the tenants description ({@link Tenants}, the {@code tenants} entity). A domain is
 * owned by the tenant that lists it, otherwise by the {@code @domainlist} tenant when James's
 * DomainList holds it. Who sent the mail is the tenant the SMTP session named (XOORG) when it named
 * one, otherwise what the {@code X-OriginatorOrg} instances say ({@link Tenants#identify}).</p>
 *
 * <p>Matches (all recipients) when the sender's domain is owned by one of our tenants and the
 * evidence does not bind the mail to it ({@link TenantIdentity#deniesDomainOf}): another tenant
 * identified, an XOORG of no tenant of ours, or instances that name two or more of our tenants (a
 * conflict: one forged line must never turn a deny into an allow); and when the domain is in the
 * DomainList while no tenant owns it. Does not match the null sender, a domain that is not ours,
 * no or a foreign {@code X-OriginatorOrg} (the {@code X-OriginatorOrg} rule after it denies both),
 * nor, without XOORG, a mailbox-rules forward (Microsoft 365 rewrites its envelope sender into the
 * forwarding tenant's domain, and its {@code X-OriginatorOrg} is the author's). With fewer than two
 * tenants it never matches. Fail closed: headers that cannot be read match, and are logged; a
 * DomainList that cannot be read throws, and the mailet's {@code onMatchException} decides.</p>
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
