package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.base.GenericMatcher;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The invariant an attacker would probe: once a mail carries the header, whatever further instance
 * a sender adds, a mail that the header matchers deny stays denied.
 *
 * <p>A mail <em>without</em> the header is outside this invariant on purpose: SPEC denies it, and
 * adding the one right value allows it. No header rule can stop a sender who writes the right
 * value (SPEC's last paragraph); what fail-closed guarantees is that a forged value can never be
 * outvoted by a good one.</p>
 */
class HeaderMatcherProperties {
    private static final String HEADER = "X-OriginatorOrg";
    private static final List<String> ALLOWED = List.of("contoso.onmicrosoft.com", "contoso.com");

    @Property(tries = 500)
    void addingAnInstanceNeverTurnsAHeaderNotEqualsMatchIntoANonMatch(
            @ForAll("instances") @Size(min = 1, max = 4) List<String> present,
            @ForAll("instance") String added) throws MessagingException {
        assertAddingNeverUnmatches(new HeaderNotEquals(), present, added);
    }

    @Property(tries = 500)
    void addingAnInstanceNeverTurnsAHeaderNotContainsMatchIntoANonMatch(
            @ForAll("instances") @Size(min = 1, max = 4) List<String> present,
            @ForAll("instance") String added) throws MessagingException {
        assertAddingNeverUnmatches(new HeaderNotContains(), present, added);
    }

    private static void assertAddingNeverUnmatches(GenericMatcher matcher, List<String> present, String added) throws MessagingException {
        matcher.init(FakeMatcherConfig.builder()
            .matcherName(matcher.getClass().getSimpleName())
            .condition(HEADER + ":" + String.join(", ", ALLOWED))
            .build());

        boolean matchedBefore = !matcher.match(mailWith(present, null)).isEmpty();
        boolean matchedAfter = !matcher.match(mailWith(present, added)).isEmpty();

        if (matchedBefore) {
            assertThat(matchedAfter)
                .as("instances %s then adding '%s'", present, added)
                .isTrue();
        }
    }

    private static FakeMail mailWith(List<String> instances, String added) throws MessagingException {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setText("body");
        for (String instance : instances) {
            message.addHeader(HEADER, instance);
        }
        if (added != null) {
            // Case variants of the name are the same header: an attacker may use any of them.
            message.addHeader(added.length() % 2 == 0 ? HEADER : HEADER.toLowerCase(), added);
        }
        message.saveChanges();
        return FakeMail.builder()
            .name("mail")
            .sender("a@evil.example")
            .recipient("someone@external.example")
            .mimeMessage(message)
            .build();
    }

    @Provide
    Arbitrary<List<String>> instances() {
        return instance().list();
    }

    @Provide
    Arbitrary<String> instance() {
        Arbitrary<String> allowedVariants = Arbitraries.of(ALLOWED)
            .map(value -> value.toUpperCase())
            .injectDuplicates(0.1);
        Arbitrary<String> encoded = Arbitraries.of(ALLOWED)
            .map(value -> "=?utf-8?Q?" + value + "?=");
        Arbitrary<String> noise = Arbitraries.strings()
            .withChars("abcontso.mfr=?QB_ \t-")
            .ofMaxLength(30);
        return Arbitraries.oneOf(Arbitraries.of(ALLOWED), allowedVariants, encoded, noise,
            Arbitraries.of(" contoso.com ", "contoso.com\r\n evil", "", "=?bogus?B?x?="));
    }
}
