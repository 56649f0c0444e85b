package org.relayguard.matchers;

import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.relayguard.core.mail.HeaderValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;

/**
 * Shared logic of the fail-closed header matchers: a mail matches unless the header is present and
 * every one of its instances is accepted by one of the configured values. A forged extra instance
 * can therefore only turn an allow into a deny, never the other way round.
 */
abstract class HeaderValueMatcher extends GenericMatcher {
    private static final Logger LOGGER = LoggerFactory.getLogger(HeaderValueMatcher.class);

    private final String name;
    private HeaderCondition condition;
    private Predicate<String> accepted;

    HeaderValueMatcher(String name) {
        this.name = name;
    }

    /**
     * The test of one normalised header instance against the normalised configured values, built
     * once at init so that the work per mail does not grow with the number of values where it need not.
     */
    abstract Predicate<String> acceptance(List<String> values);

    @Override
    public void init() throws MessagingException {
        condition = HeaderCondition.parse(name, getCondition());
        accepted = acceptance(condition.values());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        String[] instances;
        try {
            instances = mail.getMessage().getHeader(condition.headerName());
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot read header '{}' of mail {}, treating it as a match", name, condition.headerName(), mail.getName(), e);
            return mail.getRecipients();
        }
        if (instances == null || instances.length == 0) {
            return mail.getRecipients();
        }
        for (String instance : instances) {
            if (!accepted.test(HeaderValues.normalise(instance))) {
                return mail.getRecipients();
            }
        }
        return ImmutableList.of();
    }

    @Override
    public String getMatcherInfo() {
        return name + "=" + getCondition();
    }
}
