package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class DnsNameSetTest {
    private final DnsNameSet set = DnsNameSet.of(List.of("protection.outlook.com", "contoso.com"));

    @Test
    void containsShouldFindANameInAnyCase() {
        assertThat(set.contains("contoso.com")).isTrue();
        assertThat(set.contains("CONTOSO.Com")).isTrue();
    }

    @Test
    void containsShouldNotFindAParentOrAChild() {
        assertThat(set.contains("mail.contoso.com")).isFalse();
        assertThat(set.contains("com")).isFalse();
    }

    @Test
    void containsParentOfShouldFindOnlyDomainsStrictlyAbove() {
        assertThat(set.containsParentOf("mail-x.outbound.protection.outlook.com")).isTrue();
        assertThat(set.containsParentOf("A.Protection.Outlook.COM")).isTrue();
        assertThat(set.containsParentOf("protection.outlook.com")).isFalse();
    }

    @Test
    void containsNameOrParentOfShouldFindTheNameAndDomainsAbove() {
        assertThat(set.containsNameOrParentOf("protection.outlook.com")).isTrue();
        assertThat(set.containsNameOrParentOf("a.b.protection.outlook.com")).isTrue();
    }

    @Test
    void lookupsShouldRespectLabelBoundaries() {
        assertThat(set.containsParentOf("evilprotection.outlook.com")).isFalse();
        assertThat(set.containsNameOrParentOf("evilcontoso.com")).isFalse();
        assertThat(set.containsNameOrParentOf("protection.outlook.com.evil.example")).isFalse();
    }

    @Test
    void anEmptySetShouldContainNothing() {
        DnsNameSet empty = DnsNameSet.of(List.of());

        assertThat(empty.containsNameOrParentOf("contoso.com")).isFalse();
        assertThat(empty.contains("")).isFalse();
    }

    @Test
    void aLargeSetShouldFindEveryMemberAndNothingElse() {
        List<String> names = IntStream.range(0, 5000).mapToObj(i -> "tenant" + i + ".example").collect(Collectors.toList());
        DnsNameSet large = DnsNameSet.of(names);

        assertThat(names).allMatch(large::contains);
        assertThat(names).allMatch(name -> large.containsParentOf("mx." + name));
        assertThat(large.contains("tenant5000.example")).isFalse();
        assertThat(large.containsNameOrParentOf("example")).isFalse();
    }
}
