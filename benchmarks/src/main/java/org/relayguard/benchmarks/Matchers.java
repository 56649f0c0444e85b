package org.relayguard.benchmarks;

import javax.mail.MessagingException;

import org.apache.mailet.Matcher;
import org.apache.mailet.base.test.FakeMatcherConfig;

/** Initialises a matcher the way James does, from its name and condition. */
final class Matchers {
    private Matchers() {
    }

    static <T extends Matcher> T init(T matcher, String name, String condition) {
        try {
            matcher.init(FakeMatcherConfig.builder()
                .matcherName(name)
                .condition(condition)
                .build());
            return matcher;
        } catch (MessagingException e) {
            throw new IllegalStateException(name + "=" + condition, e);
        }
    }
}
