package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.google.common.base.Strings;

class OrgDomainTest {

    @Test
    void canonicalShouldLowerCaseAndDropOneTrailingDot() {
        assertThat(OrgDomain.canonical("Contoso.OnMicrosoft.COM")).contains("contoso.onmicrosoft.com");
        assertThat(OrgDomain.canonical("contoso.com.")).contains("contoso.com");
    }

    @Test
    void canonicalShouldAcceptPunycodeDigitsAndInnerHyphens() {
        assertThat(OrgDomain.canonical("xn--bcher-kva.example")).contains("xn--bcher-kva.example");
        assertThat(OrgDomain.canonical("contoso-365.onmicrosoft.com")).contains("contoso-365.onmicrosoft.com");
        assertThat(OrgDomain.canonical("0.example")).contains("0.example");
    }

    @Test
    void canonicalShouldAcceptTheLongestLabelAndName() {
        String label = Strings.repeat("a", 63);
        String name = String.join(".", label, label, label, Strings.repeat("b", 61));
        assertThat(name).hasSize(253);
        assertThat(OrgDomain.canonical(name)).contains(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "contoso", "contoso..com", ".contoso.com", "contoso.com..", "*.contoso.com",
        "-contoso.com", "contoso-.com", "con_toso.com", "contoso com", "a@contoso.com", "contoso.com:25",
        "192.0.2.1", "[192.0.2.1]", "2001:db8::1", "contoso.123", "b\u00fccher.example"})
    void canonicalShouldRefuseWhatIsNotAnOrganizationDomain(String value) {
        assertThat(OrgDomain.canonical(value)).isEmpty();
    }

    @Test
    void canonicalShouldRefuseTooLongLabelsAndNames() {
        assertThat(OrgDomain.canonical(Strings.repeat("a", 64) + ".example")).isEmpty();
        String label = Strings.repeat("a", 63);
        assertThat(OrgDomain.canonical(String.join(".", label, label, label, Strings.repeat("b", 62)))).isEmpty();
    }
}
