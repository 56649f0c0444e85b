package org.relayguard.webadmin.dto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReportParametersTest {

    @Test
    void parseShouldUseDefaultsWhenNothingIsGiven() {
        ReportParameters parameters = ReportParameters.parse(Map.of());

        assertThat(parameters.limit()).isEqualTo(ReportParameters.DEFAULT_LIMIT);
        assertThat(parameters.sampleKeys()).isEqualTo(ReportParameters.DEFAULT_SAMPLE_KEYS);
        assertThat(parameters.whatIf()).isEmpty();
    }

    @Test
    void parseShouldNormaliseWhatIfValuesFromRepeatedAndCommaSeparatedParameters() {
        ReportParameters parameters = ReportParameters.parse(Map.of("whatIf",
            new String[] {"Fabrikam.onmicrosoft.com, FABRIKAM.com", " fabrikam.com", "a  b"}));

        assertThat(parameters.whatIf()).contains(java.util.List.of("fabrikam.onmicrosoft.com", "fabrikam.com", "a b"));
    }

    @Test
    void parseShouldRefuseAnUnknownParameterAndNameTheKnownOnes() {
        assertThatThrownBy(() -> ReportParameters.parse(Map.of("whatif", new String[] {"a.com"})))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("Unknown query parameter(s) whatif; known: limit, sampleKeys, whatIf");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",a.com", "a.com,", " , "})
    void parseShouldRefuseAnEmptyWhatIfValue(String whatIf) {
        assertThatThrownBy(() -> ReportParameters.parse(Map.of("whatIf", new String[] {whatIf})))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'whatIf' has an empty value");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "1001", "abc", "", "1.5"})
    void parseShouldRefuseALimitThatIsNotBetweenOneAndAThousand(String limit) {
        assertThatThrownBy(() -> ReportParameters.parse(Map.of("limit", new String[] {limit})))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'limit' must be");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "11", "x"})
    void parseShouldRefuseSampleKeysOutsideZeroToTen(String sampleKeys) {
        assertThatThrownBy(() -> ReportParameters.parse(Map.of("sampleKeys", new String[] {sampleKeys})))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("'sampleKeys' must be");
    }

    @Test
    void parseShouldRefuseARepeatedLimit() {
        assertThatThrownBy(() -> ReportParameters.parse(Map.of("limit", new String[] {"1", "2"})))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("'limit' must be given once");
    }

    @Test
    void parseShouldAcceptZeroSampleKeys() {
        assertThat(ReportParameters.parse(Map.of("sampleKeys", new String[] {"0"})).sampleKeys()).isZero();
    }
}
