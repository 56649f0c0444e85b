package org.relayguard.core.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdnaNamesTest {

    @Test
    void aULabelDomainShouldBecomeItsALabelForm() {
        assertThat(IdnaNames.toALabels("bücher.example")).contains("xn--bcher-kva.example");
        assertThat(IdnaNames.toALabels("例え.テスト")).contains("xn--r8jz45g.xn--zckzah");
    }

    @Test
    void anAsciiDomainShouldOnlyBeLowerCased() {
        assertThat(IdnaNames.toALabels("Contoso.COM")).contains("contoso.com");
        assertThat(IdnaNames.toALabels("xn--bcher-kva.example")).contains("xn--bcher-kva.example");
    }

    @Test
    void theULabelAndTheALabelShouldBeOneNameForTheDomainSets() {
        DnsNameSet set = DnsNameSet.builder().add("xn--bcher-kva.example", DnsNameSet.Coverage.NAME).build();

        assertThat(IdnaNames.toALabels("bücher.example").map(set::covers)).contains(true);
    }

    /** ß, ς, ZWJ, ZWNJ: IDNA2003 (the JDK) and IDNA2008 (Exchange, resolvers) make different labels of them. */
    @ParameterizedTest
    @ValueSource(strings = {"straße.de", "ς.example", "a\u200Db.example", "a\u200Cb.example"})
    void aNameWhoseLabelsDifferBetweenIdna2003AndIdna2008ShouldBeRefused(String name) {
        assertThat(IdnaNames.toALabels(name)).isEmpty();
    }

    /** IDNA2003 would map these silently to another spelling: only a clean round trip is taken. */
    @ParameterizedTest
    @ValueSource(strings = {"bÜcher.example", "bu\u0308cher.example", "bücher\u3002example", "ｂücher.example",
        "bücher.example.", "b ücher.example", "bü_cher.example", "-bücher.example", "[192.0.2.1]", "bü@cher.example", ""})
    void aNameThatDoesNotRoundTripCleanlyShouldBeRefused(String name) {
        assertThat(IdnaNames.toALabels(name)).isEmpty();
    }

    @Test
    void aLabelOverSixtyThreeOctetsShouldBeRefused() {
        assertThat(IdnaNames.toALabels("ü".repeat(60) + ".example")).isEmpty();
    }

    @Test
    void utf8ReadAsLatin1ShouldBeDecodedAgainAndBrokenUtf8Refused() {
        String asJavaxMailReadsIt = new String("bücher.example".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        assertThat(IdnaNames.utf8FromLatin1(asJavaxMailReadsIt)).contains("bücher.example");
        assertThat(IdnaNames.utf8FromLatin1("b\u00fccher.example")).isEmpty();
        assertThat(IdnaNames.utf8FromLatin1("contoso.com")).contains("contoso.com");
    }
}
