package org.relayguard.matchers;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.relayguard.core.dns.DnsNames;
import org.relayguard.core.mail.HeaderValues;
import org.relayguard.core.mail.MailAttributes;
import org.relayguard.core.parameters.ConditionLists;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;

/**
 * Matches mail whose SMTP session gave no tenant identity (XOORG), or one that is none of the
 * configured organizations: {@link HeaderNotEquals} for the value Exchange Online gives in the
 * session itself rather than in a header the sending tenant writes. The value is the mail
 * attribute {@code org.relayguard.xoorg} ({@link MailAttributes#XOORG}), which the SMTP handler
 * {@code org.relayguard.smtp.XoorgExtension} sets.
 *
 * <p>Condition: {@code <organization>[, <organization>…]}, domain names. Values are normalised as
 * {@link HeaderNotEquals} normalises them (trimmed, case ignored) and, being domains, compared in
 * their ASCII form with one trailing dot ignored. Fail-closed: a missing attribute, or one that is
 * not a domain name, matches.</p>
 *
 * <pre>{@code
 * <mailet match="org.relayguard.matchers.XoorgNotEquals=contoso.onmicrosoft.com, contoso.com" class="ToProcessor">
 *     <processor>m365_relaydeny</processor>
 * </mailet>
 * }</pre>
 */
public class XoorgNotEquals extends GenericMatcher {
    static final String NAME = "XoorgNotEquals";

    private static final Logger LOGGER = LoggerFactory.getLogger(XoorgNotEquals.class);

    private Set<String> organizations = ImmutableSet.of();

    @Override
    public void init() throws MessagingException {
        organizations = ImmutableSet.copyOf(ConditionLists.parse(NAME, getCondition(), XoorgNotEquals::canonical));
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        Optional<String> organization = mail.getAttribute(MailAttributes.XOORG).flatMap(attribute -> organization(mail, attribute));
        if (organization.isPresent() && organizations.contains(organization.get())) {
            return ImmutableList.of();
        }
        return mail.getRecipients();
    }

    private static Optional<String> organization(Mail mail, Attribute attribute) {
        Object value = attribute.getValue().getValue();
        if (!(value instanceof String)) {
            LOGGER.warn("{}: attribute {} of mail {} is not a string, treating it as a match", NAME, MailAttributes.XOORG.asString(), mail.getName());
            return Optional.empty();
        }
        return canonical((String) value);
    }

    private static Optional<String> canonical(String value) {
        return DnsNames.canonical(HeaderValues.normalise(value));
    }

    @Override
    public String getMatcherInfo() {
        return NAME + "=" + getCondition();
    }
}
