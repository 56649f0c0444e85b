package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relayguard.matchers.TestMails.withHeaders;

import java.util.List;

import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OrgClauseTest {
    private static final String TENANT_ORGS = "contoso.onmicrosoft.com, Contoso.COM";
    private static final List<String> ALLOWED = HeaderValues.normaliseList(TENANT_ORGS);

    private static OrgClause clauseOf(String... headerLines) throws Exception {
        return OrgClause.evaluate(HeaderValues.instances(withHeaders(headerLines), "X-OriginatorOrg"), ALLOWED);
    }

    @Test
    void evaluateShouldReturnAbsentWhenTheHeaderIsAbsent() throws Exception {
        assertThat(clauseOf()).isEqualTo(OrgClause.ABSENT);
    }

    @Test
    void evaluateShouldReturnNotAllowedWhenNoInstanceIsAllowed() throws Exception {
        assertThat(clauseOf("X-OriginatorOrg: evil.onmicrosoft.com")).isEqualTo(OrgClause.NOT_ALLOWED);
        assertThat(clauseOf("X-OriginatorOrg:")).isEqualTo(OrgClause.NOT_ALLOWED);
    }

    @Test
    void evaluateShouldReturnMixedInstancesWhenAForgedInstanceStandsBesideAnAllowedOne() throws Exception {
        assertThat(clauseOf("X-OriginatorOrg: contoso.com", "x-originatororg: evil.example")).isEqualTo(OrgClause.MIXED_INSTANCES);
    }

    @Test
    void evaluateShouldReturnAllowedWhenEveryInstanceIsAllowedInAnyCaseOrEncoding() throws Exception {
        assertThat(clauseOf("X-OriginatorOrg: CONTOSO.com", "X-OriginatorOrg: =?utf-8?q?contoso.onmicrosoft.com?=")).isEqualTo(OrgClause.ALLOWED);
    }

    @Test
    void tokensShouldBeTheNamesTheLogAndTheReportUse() {
        assertThat(OrgClause.values()).extracting(OrgClause::token)
            .containsExactly("org-absent", "org-not-allowed", "org-mixed-instances", "org-allowed");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "X-OriginatorOrg: contoso.com",
        "X-OriginatorOrg: evil.onmicrosoft.com",
        "X-OriginatorOrg: contoso.com|X-OriginatorOrg: evil.example",
        "X-OriginatorOrg:  Contoso.Onmicrosoft.Com |x-originatororg: contoso.com",
        "X-OriginatorOrg: contoso\r\n .com",
        "X-OriginatorOrg: contoso.com.evil.example"})
    void evaluateShouldDenyExactlyWhenHeaderNotEqualsMatches(String headers) throws Exception {
        String[] lines = headers.isEmpty() ? new String[0] : headers.split("\\|");
        FakeMail mail = withHeaders(lines);
        boolean matcherDenies = !HeaderNotEqualsTest.matcher("X-OriginatorOrg:" + TENANT_ORGS).match(mail).isEmpty();

        assertThat(OrgClause.evaluate(HeaderValues.instances(mail, "x-originatororg"), ALLOWED).denies()).isEqualTo(matcherDenies);
    }

    @Test
    void normaliseListShouldDropEmptyEntriesAndNormaliseTheOthers() {
        assertThat(HeaderValues.normaliseList(" A.com ,, b  C.com,")).containsExactly("a.com", "b c.com");
    }
}
