package org.relayguard.matchers;

import java.util.Collection;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.relayguard.core.dns.DnsNameSet;
import org.relayguard.core.dns.HostnameSuffix;
import org.relayguard.core.parameters.ConditionLists;

import com.google.common.collect.ImmutableList;

/**
 * Matches mail whose SMTP client host name, as James resolved it ({@link Mail#getRemoteHost()}),
 * ends with one of the configured DNS suffixes. This is Proofpoint's
 * <em>Sender Hostname ends with</em> condition.
 *
 * <ul>
 *     <li>{@code .protection.outlook.com} (leading dot) matches hosts strictly below that domain.</li>
 *     <li>{@code protection.outlook.com} matches the domain itself and every host below it.</li>
 * </ul>
 *
 * <p>Comparison is on whole labels, case-insensitive, and ignores one trailing dot on the host
 * name: {@code evilprotection.outlook.com} and {@code protection.outlook.com.evil.example} never
 * match. A remote host that is missing or an IP literal (no confirmed PTR name) never matches.</p>
 *
 * <p>Every recipient matches, or none.</p>
 *
 * <pre>{@code
 * <mailet match="org.relayguard.matchers.SenderHostnameEndsWith=.protection.outlook.com" class="ToProcessor">
 *     <processor>m365_mail</processor>
 * </mailet>
 * }</pre>
 */
public class SenderHostnameEndsWith extends GenericMatcher {
    static final String NAME = "SenderHostnameEndsWith";

    private DnsNameSet suffixes = DnsNameSet.builder().build();

    @Override
    public void init() throws MessagingException {
        DnsNameSet.Builder builder = DnsNameSet.builder();
        for (HostnameSuffix suffix : ConditionLists.parse(NAME, getCondition(), HostnameSuffix::parse)) {
            builder.add(suffix.domain(), suffix.strictlyBelow() ? DnsNameSet.Coverage.BELOW : DnsNameSet.Coverage.NAME_AND_BELOW);
        }
        suffixes = builder.build();
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        String host = mail.getRemoteHost();
        if (host != null && suffixes.covers(host)) {
            return mail.getRecipients();
        }
        return ImmutableList.of();
    }

    @Override
    public String getMatcherInfo() {
        return NAME + "=" + getCondition();
    }
}
