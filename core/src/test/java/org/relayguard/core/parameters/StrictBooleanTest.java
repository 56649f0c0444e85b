package org.relayguard.core.parameters;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class StrictBooleanTest {
    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "True", " true\t"})
    void parseShouldReadTrueInAnyCase(String value) {
        assertThat(StrictBoolean.parse(value)).contains(true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "FALSE", "False", "\nfalse "})
    void parseShouldReadFalseInAnyCase(String value) {
        assertThat(StrictBoolean.parse(value)).contains(false);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {" ", "yes", "no", "1", "0", "on", "treu", "true false", "${env:RELAYGUARD_ENFORCE}"})
    void parseShouldRefuseAnythingElse(String value) {
        assertThat(StrictBoolean.parse(value)).isEmpty();
    }
}
