package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;

import javax.mail.MessagingException;

import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * No host name matches {@code SenderHostnameEndsWith=.x.y} unless it ends with the labels
 * {@code x.y} below a further, non-empty label; and every such host name does.
 */
class SenderHostnameProperties {

    @Property(tries = 1000)
    void aHostMatchesALeadingDotSuffixOnlyBelowItsLabels(@ForAll("suffixLabels") List<String> suffixLabels,
                                                          @ForAll("hosts") String hostPrefix,
                                                          @ForAll boolean appendSuffix) throws MessagingException {
        String suffix = String.join(".", suffixLabels);
        String host = appendSuffix ? hostPrefix + suffix : hostPrefix;

        boolean matched = matches("." + suffix, host);

        if (matched) {
            String canonical = host.toLowerCase(Locale.US);
            canonical = canonical.endsWith(".") ? canonical.substring(0, canonical.length() - 1) : canonical;
            String below = canonical.substring(0, canonical.length() - suffix.length());
            assertThat(canonical).endsWith("." + suffix);
            assertThat(below).endsWith(".");
            assertThat(below.substring(0, below.length() - 1).split("\\.", -1))
                .as("labels above the suffix in '%s'", host)
                .isNotEmpty()
                .allSatisfy(label -> assertThat(label).isNotEmpty());
        }
    }

    @Property(tries = 500)
    void everyHostBelowTheSuffixMatches(@ForAll("suffixLabels") List<String> suffixLabels,
                                        @ForAll("labels") List<String> hostLabels) throws MessagingException {
        String suffix = String.join(".", suffixLabels);
        String host = String.join(".", hostLabels) + "." + suffix.toUpperCase(Locale.US);

        assertThat(matches("." + suffix, host)).as(host).isTrue();
    }

    private static boolean matches(String condition, String host) throws MessagingException {
        SenderHostnameEndsWith matcher = new SenderHostnameEndsWith();
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("SenderHostnameEndsWith")
            .condition(condition)
            .build());
        return !matcher.match(FakeMail.builder()
            .name("mail")
            .recipient("someone@external.example")
            .remoteHost(host)
            .build()).isEmpty();
    }

    @Provide
    Arbitrary<List<String>> suffixLabels() {
        return label().list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<String>> labels() {
        return label().list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<String> hosts() {
        Arbitrary<String> anything = Arbitraries.strings().withChars("xyab.-_1:[]").ofMaxLength(20);
        Arbitrary<String> dottedLabels = labels().map(labels -> String.join(".", labels) + ".");
        Arbitrary<String> glued = Combinators.combine(label(), Arbitraries.of("", ".", "..", "-"))
            .as((label, joint) -> label + joint);
        return Arbitraries.oneOf(anything, dottedLabels, glued, Arbitraries.of("", ".", "..", "evil"));
    }

    private static Arbitrary<String> label() {
        return Arbitraries.strings().withChars("xyab-_1").ofMinLength(1).ofMaxLength(6);
    }
}
