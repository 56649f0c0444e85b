package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.mailet.base.GenericMatcher;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.mockito.Mockito;
import org.relayguard.core.dns.DnsNameSet;
import org.relayguard.core.dns.DnsNames;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The hash lookups that keep the matchers' cost independent of how many names are configured decide
 * exactly as a plain walk over the labels does: {@link #reference} is that walk, on
 * {@link DnsNames#labels(String)}, the parser of the configuration.
 */
class LookupProperties {

    @Property(tries = 3000)
    void theCanonicalFormOfAnAsciiNameIsTheOneOfItsLabels(@ForAll("names") String name) {
        assertThat(DnsNames.canonical(name)).as("'%s'", name).isEqualTo(DnsNames.labels(name).map(labels -> String.join(".", labels)));
    }

    @Property(tries = 3000)
    void aDnsNameSetCoversWhatALabelWalkDoes(@ForAll("suffixes") List<String> entries, @ForAll("names") String name) {
        DnsNameSet.Builder builder = DnsNameSet.builder();
        for (String entry : entries) {
            boolean below = entry.startsWith(".");
            builder.add(DnsNames.canonical(below ? entry.substring(1) : entry).orElseThrow(),
                below ? DnsNameSet.Coverage.BELOW : DnsNameSet.Coverage.NAME_AND_BELOW);
        }

        assertThat(builder.build().covers(name)).as("%s on '%s'", entries, name).isEqualTo(reference(entries, name, true));
    }

    @Property(tries = 1000)
    void senderHostnameEndsWithDecidesAsALabelWalk(@ForAll("suffixes") List<String> suffixes,
                                                   @ForAll("names") String host) throws MessagingException {
        SenderHostnameEndsWith matcher = init(new SenderHostnameEndsWith(), String.join(", ", suffixes));

        boolean matched = !matcher.match(FakeMail.builder()
            .name("mail")
            .recipient("someone@external.example")
            .remoteHost(host)
            .build()).isEmpty();

        assertThat(matched).as("%s on '%s'", suffixes, host).isEqualTo(reference(suffixes, host, true));
    }

    @Property(tries = 1000)
    void senderInDomainSetDecidesAsALabelWalk(@ForAll("suffixes") List<String> entries,
                                              @ForAll("senderDomains") String domain) throws MessagingException {
        SenderInDomainSet matcher = init(new SenderInDomainSet(new MemoryDomainList(Mockito.mock(DNSService.class))), String.join(", ", entries));

        boolean matched = !matcher.match(FakeMail.builder()
            .name("mail")
            .sender("a@" + domain)
            .recipient("someone@external.example")
            .build()).isEmpty();

        assertThat(matched).as("%s on '%s'", entries, domain).isEqualTo(reference(entries, domain, false));
    }

    /**
     * Whether a name is one an entry names: {@code .d} any name strictly below {@code d};
     * {@code d} the name {@code d} itself and, for host suffixes only, any name below it.
     */
    private static boolean reference(List<String> entries, String name, boolean plainEntryCoversBelow) {
        Optional<List<String>> labels = DnsNames.labels(name);
        if (labels.isEmpty()) {
            return false;
        }
        for (String entry : entries) {
            boolean strictlyBelow = entry.startsWith(".");
            List<String> entryLabels = DnsNames.labels(strictlyBelow ? entry.substring(1) : entry).orElseThrow();
            int extra = labels.get().size() - entryLabels.size();
            boolean tailMatches = extra >= 0 && labels.get().subList(extra, labels.get().size()).equals(entryLabels);
            boolean allowedDepth = strictlyBelow ? extra > 0 : (plainEntryCoversBelow || extra == 0);
            if (tailMatches && allowedDepth) {
                return true;
            }
        }
        return false;
    }

    private static <T extends GenericMatcher> T init(T matcher, String condition) throws MessagingException {
        matcher.init(FakeMatcherConfig.builder()
            .matcherName(matcher.getClass().getSimpleName())
            .condition(condition)
            .build());
        return matcher;
    }

    @Provide
    Arbitrary<List<String>> suffixes() {
        Arbitrary<String> suffix = Arbitraries.oneOf(domain(), domain().map(domain -> "." + domain));
        return suffix.list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<String> names() {
        Arbitrary<String> anything = Arbitraries.strings().withChars("aBz09-_.:[] \tüÄ。").ofMaxLength(24);
        Arbitrary<String> dotted = label().list().ofMinSize(1).ofMaxSize(5)
            .map(labels -> String.join(".", labels))
            .flatMap(name -> Arbitraries.of(name, name + ".", name + "..", " " + name.toUpperCase(Locale.ROOT), "." + name));
        Arbitrary<String> literals = Arbitraries.of("1.2.3.4", "1.1.1.1", "11.1.1.1.", "[1.2.3.4]", "::1", "IPv6:::1", "2a01:111:f400::1", "1.2.3", "01.2.3.4", "a".repeat(64) + ".b");
        return Arbitraries.oneOf(anything, dotted, literals);
    }

    @Provide
    Arbitrary<String> senderDomains() {
        return label().list().ofMinSize(1).ofMaxSize(5)
            .map(labels -> String.join(".", labels))
            .filter(LookupProperties::isAcceptedByJames);
    }

    /** James refuses some domains in a mail address (a last label starting with a digit, say) before any matcher runs. */
    private static boolean isAcceptedByJames(String domain) {
        try {
            new MailAddress("a@" + domain);
            return true;
        } catch (AddressException e) {
            return false;
        }
    }

    private static Arbitrary<String> domain() {
        return label().list().ofMinSize(1).ofMaxSize(3).map(labels -> String.join(".", labels));
    }

    private static Arbitrary<String> label() {
        // A small alphabet, so that generated names and entries often share labels.
        return Arbitraries.strings().withChars("abAB1-_").ofMinLength(1).ofMaxLength(3);
    }
}
