package org.relayguard.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class XtextTest {

    @Test
    void decodeShouldKeepPlainCharacters() {
        assertThat(Xtext.decode("contoso.onmicrosoft.com")).contains("contoso.onmicrosoft.com");
        assertThat(Xtext.decode("")).contains("");
    }

    @Test
    void decodeShouldDecodeHexEncodedOctetsInEitherCase() {
        assertThat(Xtext.decode("contoso+2Ecom")).contains("contoso.com");
        assertThat(Xtext.decode("contoso+2ecom")).contains("contoso.com");
        assertThat(Xtext.decode("a+2Bb+3Dc")).contains("a+b=c");
        assertThat(Xtext.decode("+20")).contains(" ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"contoso.com+", "contoso.com+2", "contoso+ZZcom", "contoso+-1com", "a=b", "caf+C3+A9.example", "tab\there", "caf\u00e9.example"})
    void decodeShouldRefuseMalformedXtextAndNonAscii(String xtext) {
        assertThat(Xtext.decode(xtext)).isEmpty();
    }
}
