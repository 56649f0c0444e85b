package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.relayguard.core.mail.TestMails;
import org.relayguard.core.tenants.TenantIdentity;
import org.relayguard.core.tenants.Tenants;
import org.relayguard.core.tenants.TestTenants;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The tenant identity and the binding over any multiset of {@code X-OriginatorOrg} instances, in
 * any order, each written in any case, with spaces around it, folded onto a continuation line or as
 * an RFC 2047 encoded word, under a header name in any case: the outcome is the one a plain model
 * over "whose org is each instance" gives, and one forged instance more never turns a deny into an
 * allow.
 */
class TenantIdentityProperties {
    private static final Map<String, String> ORG_OWNERS = Map.of(
        "contoso.com", "contoso",
        "contoso.onmicrosoft.com", "contoso",
        "fabrikam.example", "fabrikam",
        "fabrikam.onmicrosoft.com", "fabrikam");
    private static final List<String> ORGS = List.of("contoso.com", "contoso.onmicrosoft.com", "fabrikam.example",
        "fabrikam.onmicrosoft.com", "evil.onmicrosoft.com", "evil.example", "contoso.com.evil.example", "");
    private static final String ALL_ORGS = "contoso.com, contoso.onmicrosoft.com, fabrikam.example, fabrikam.onmicrosoft.com";

    /** One instance: the org it stands for and how it is written. */
    static final class Instance {
        final String org;
        final String written;

        Instance(String org, String written) {
            this.org = org;
            this.written = written;
        }

        @Override
        public String toString() {
            return "'" + written.replace("\r\n", "\\r\\n") + "'";
        }
    }

    @Property(tries = 2000)
    void identifyAgreesWithTheModel(@ForAll("instances") List<Instance> instances) throws Exception {
        TenantIdentity identity = tenants().identify(mail("ceo@fabrikam.example", instances));

        assertThat(List.of(identity.kind(), identity.tenants())).as("%s", instances).isEqualTo(model(instances));
    }

    @Property(tries = 1000)
    void theOrderOfTheInstancesDoesNotMatter(@ForAll("instances") List<Instance> instances, @ForAll long seed) throws Exception {
        List<Instance> shuffled = new ArrayList<>(instances);
        Collections.shuffle(shuffled, new Random(seed));

        assertThat(tenants().identify(mail("ceo@fabrikam.example", shuffled)))
            .as("%s then %s", instances, shuffled)
            .isEqualTo(tenants().identify(mail("ceo@fabrikam.example", instances)));
    }

    /**
     * What the hardened m365_mail processor denies for mail from one of our domains (not a
     * forward, no XOORG): the binding, or the X-OriginatorOrg rule. A mail passes both only when
     * every instance is an org of the tenant that owns the sender's domain.
     */
    @Property(tries = 2000)
    void ourDomainPassesOnlyWhenEveryInstanceIsItsOwnersOrg(@ForAll("instances") List<Instance> instances,
                                                            @ForAll("ourSenders") String sender) throws Exception {
        String owner = sender.endsWith("@contoso.com") ? "contoso" : "fabrikam";
        boolean onlyTheOwnersOrgs = !instances.isEmpty() && instances.stream().allMatch(instance -> owner.equals(ORG_OWNERS.get(instance.org)));

        assertThat(denied(sender, instances)).as("%s as %s", instances, sender).isEqualTo(!onlyTheOwnersOrgs);
    }

    @Property(tries = 2000)
    void anExtraInstanceNeverTurnsADenyIntoAnAllow(@ForAll("instances") List<Instance> instances, @ForAll("instance") Instance extra,
                                                   @ForAll("ourSenders") String sender, @ForAll long seed) throws Exception {
        List<Instance> more = new ArrayList<>(instances);
        more.add(new Random(seed).nextInt(more.size() + 1), extra);

        // Only an extra instance: a mail with none is denied for lacking the header, which its real
        // org lifts.
        if (!instances.isEmpty() && denied(sender, instances)) {
            assertThat(denied(sender, more)).as("%s, then %s as %s", instances, more, sender).isTrue();
        }
    }

    private static boolean denied(String sender, List<Instance> instances) throws MessagingException {
        FakeMail mail = mail(sender, instances);
        return !binding().match(mail).isEmpty() || !orgRule().match(mail).isEmpty();
    }

    /** The kind of identity and the tenants it names. */
    private static List<Object> model(List<Instance> instances) throws MessagingException {
        if (instances.isEmpty()) {
            return List.of(TenantIdentity.Kind.NO_ORG, List.of());
        }
        Set<String> named = instances.stream()
            .map(instance -> ORG_OWNERS.get(instance.org))
            .filter(owner -> owner != null)
            .collect(Collectors.toCollection(LinkedHashSet::new));
        Tenants tenants = tenants();
        if (named.size() > 1) {
            return List.of(TenantIdentity.Kind.CONFLICT, tenants.all());
        }
        if (instances.stream().anyMatch(instance -> !ORG_OWNERS.containsKey(instance.org))) {
            return List.of(TenantIdentity.Kind.FOREIGN_ORG, List.of());
        }
        return List.of(TenantIdentity.Kind.IDENTIFIED, List.of(tenants.named(named.iterator().next()).orElseThrow()));
    }

    @Provide
    Arbitrary<List<Instance>> instances() {
        return instance().list().ofMaxSize(5);
    }

    @Provide
    Arbitrary<Instance> instance() {
        Arbitrary<String> org = Arbitraries.of(ORGS);
        Arbitrary<Integer> style = Arbitraries.integers().between(0, 5);
        Arbitrary<Long> caseBits = Arbitraries.longs();
        return Combinators.combine(org, style, caseBits).as(TenantIdentityProperties::written);
    }

    @Provide
    Arbitrary<String> ourSenders() {
        return Arbitraries.of("a@contoso.com", "ceo@fabrikam.example", "CEO@Fabrikam.Example");
    }

    private static Instance written(String org, int style, long caseBits) {
        StringBuilder cased = new StringBuilder();
        for (int i = 0; i < org.length(); i++) {
            char c = org.charAt(i);
            cased.append((caseBits >> (i % 64) & 1) == 1 ? Character.toUpperCase(c) : c);
        }
        String value = cased.toString();
        switch (style) {
            case 1:
                return new Instance(org, "  " + value + " \t");
            case 2:
                // Folded: the value on a continuation line.
                return new Instance(org, "\r\n\t " + value);
            case 3:
                return new Instance(org, "=?utf-8?b?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=");
            case 4:
                return new Instance(org, "=?UTF-8?Q?" + qEncoded(value) + "?=");
            default:
                return new Instance(org, value);
        }
    }

    private static String qEncoded(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            encoded.append(String.format(Locale.ROOT, "=%02X", b));
        }
        return encoded.toString();
    }

    private static FakeMail mail(String sender, List<Instance> instances) throws MessagingException {
        StringBuilder raw = new StringBuilder("From: a@example.net\r\nTo: " + TestMails.RECIPIENT + "\r\nSubject: test\r\n");
        String[] names = {"X-OriginatorOrg", "x-originatororg", "X-ORIGINATORORG"};
        for (int i = 0; i < instances.size(); i++) {
            raw.append(names[i % names.length]).append(": ").append(instances.get(i).written).append("\r\n");
        }
        raw.append("\r\nbody\r\n");
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream(raw.toString().getBytes(StandardCharsets.UTF_8)));
        return FakeMail.builder().name("mail").sender(sender).recipient(TestMails.RECIPIENT).mimeMessage(message).build();
    }

    private static Tenants tenants() throws MessagingException {
        return Tenants.parse("Test", TestTenants.TWO_TENANTS);
    }

    private static SenderNotOwnedByTenant binding() throws MessagingException {
        SenderNotOwnedByTenant matcher = new SenderNotOwnedByTenant(new MemoryDomainList(org.mockito.Mockito.mock(
            org.apache.james.dnsservice.api.DNSService.class)));
        matcher.init(FakeMatcherConfig.builder().matcherName("SenderNotOwnedByTenant").condition(TestTenants.TWO_TENANTS).build());
        return matcher;
    }

    private static HeaderNotEquals orgRule() throws MessagingException {
        HeaderNotEquals matcher = new HeaderNotEquals();
        matcher.init(FakeMatcherConfig.builder().matcherName("HeaderNotEquals").condition("X-OriginatorOrg:" + ALL_ORGS).build());
        return matcher;
    }
}
