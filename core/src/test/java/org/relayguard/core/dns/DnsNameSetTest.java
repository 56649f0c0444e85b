package org.relayguard.core.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class DnsNameSetTest {
    private final DnsNameSet set = DnsNameSet.builder()
        .add("protection.outlook.com", DnsNameSet.Coverage.BELOW)
        .add("contoso.com", DnsNameSet.Coverage.NAME)
        .add("example.org", DnsNameSet.Coverage.NAME_AND_BELOW)
        .build();

    @Test
    void coversShouldFindANameInAnyCase() {
        assertThat(set.covers("contoso.com")).isTrue();
        assertThat(set.covers("CONTOSO.Com")).isTrue();
    }

    @Test
    void aNameEntryShouldNotCoverNamesBelowIt() {
        assertThat(set.covers("mail.contoso.com")).isFalse();
    }

    @Test
    void aBelowEntryShouldCoverOnlyNamesStrictlyBelowIt() {
        assertThat(set.covers("mail-x.outbound.protection.outlook.com")).isTrue();
        assertThat(set.covers("A.Protection.Outlook.COM")).isTrue();
        assertThat(set.covers("protection.outlook.com")).isFalse();
    }

    @Test
    void aNameAndBelowEntryShouldCoverTheNameAndNamesBelowIt() {
        assertThat(set.covers("example.org")).isTrue();
        assertThat(set.covers("a.b.example.org")).isTrue();
        assertThat(set.covers("org")).isFalse();
    }

    @Test
    void addingANameTwiceShouldCombineItsCoverage() {
        DnsNameSet both = DnsNameSet.builder()
            .add("contoso.com", DnsNameSet.Coverage.NAME)
            .add("contoso.com", DnsNameSet.Coverage.BELOW)
            .build();

        assertThat(both.covers("contoso.com")).isTrue();
        assertThat(both.covers("eu.contoso.com")).isTrue();
    }

    @Test
    void coversShouldRespectLabelBoundaries() {
        assertThat(set.covers("evilprotection.outlook.com")).isFalse();
        assertThat(set.covers("evilcontoso.com")).isFalse();
        assertThat(set.covers("protection.outlook.com.evil.example")).isFalse();
    }

    @Test
    void coversShouldIgnoreSurroundingSpaceAndOneTrailingDot() {
        assertThat(set.covers(" contoso.com. ")).isTrue();
        assertThat(set.covers("contoso.com..")).isFalse();
    }

    @Test
    void noEntryShouldCoverAnInvalidNameOrAnIpLiteral() {
        DnsNameSet numeric = DnsNameSet.builder().add("3.4", DnsNameSet.Coverage.NAME_AND_BELOW).build();

        assertThat(numeric.covers("2.3.4")).isTrue();
        assertThat(numeric.covers("1.2.3.4")).isFalse();
        assertThat(set.covers("a..contoso.com")).isFalse();
        assertThat(set.covers("*.contoso.com")).isFalse();
        assertThat(set.covers("[1.2.3.4]")).isFalse();
        assertThat(set.covers("")).isFalse();
    }

    @Test
    void coversShouldCompareAnInternationalisedNameInPunycode() {
        DnsNameSet idn = DnsNameSet.builder().add("xn--bcher-kva.example", DnsNameSet.Coverage.NAME_AND_BELOW).build();

        assertThat(idn.covers("mx.bücher.example")).isTrue();
        assertThat(idn.covers("MX.XN--BCHER-KVA.example")).isTrue();
    }

    @Test
    void anEmptySetShouldCoverNothing() {
        DnsNameSet empty = DnsNameSet.builder().build();

        assertThat(empty.covers("contoso.com")).isFalse();
    }

    @Test
    void aLargeSetShouldFindEveryMemberAndNothingElse() {
        List<String> names = IntStream.range(0, 5000).mapToObj(i -> "tenant" + i + ".example").collect(Collectors.toList());
        DnsNameSet.Builder builder = DnsNameSet.builder();
        names.forEach(name -> builder.add(name, DnsNameSet.Coverage.NAME_AND_BELOW));
        DnsNameSet large = builder.build();

        assertThat(names).allMatch(large::covers);
        assertThat(names).allMatch(name -> large.covers("mx." + name));
        assertThat(large.covers("tenant5000.example")).isFalse();
        assertThat(large.covers("example")).isFalse();
    }
}
