package org.relayguard.matchers;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
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

    HeaderValueMatcher(String name) {
        this.name = name;
    }

    /** Whether a normalised header instance is accepted by one normalised configured value. */
    abstract boolean accepts(String instance, String value);

    @Override
    public void init() throws MessagingException {
        condition = HeaderCondition.parse(name, getCondition());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        List<String> instances;
        try {
            instances = instances(mail);
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("{}: cannot read header '{}' of mail {}, treating it as a match", name, condition.headerName(), mail.getName(), e);
            return mail.getRecipients();
        }
        if (instances.isEmpty() || instances.stream().anyMatch(this::isRejected)) {
            return mail.getRecipients();
        }
        return ImmutableList.of();
    }

    private List<String> instances(Mail mail) throws MessagingException {
        String[] raw = mail.getMessage().getHeader(condition.headerName());
        if (raw == null) {
            return ImmutableList.of();
        }
        return Arrays.asList(raw);
    }

    private boolean isRejected(String rawInstance) {
        String instance = HeaderValues.normalise(rawInstance);
        return condition.values().stream().noneMatch(value -> accepts(instance, value));
    }

    @Override
    public String getMatcherInfo() {
        return name + "=" + getCondition();
    }
}
