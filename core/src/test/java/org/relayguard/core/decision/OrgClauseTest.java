package org.relayguard.core.decision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relayguard.core.mail.TestMails.withHeaders;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.relayguard.core.mail.HeaderValues;

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

    @Test
    void normaliseListShouldDropEmptyEntriesAndNormaliseTheOthers() {
        assertThat(HeaderValues.normaliseList(" A.com ,, b  C.com,")).containsExactly("a.com", "b c.com");
    }
}
