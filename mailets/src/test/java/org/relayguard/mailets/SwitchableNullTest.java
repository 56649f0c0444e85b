package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SwitchableNullTest {

    private static SwitchableNull mailet(FakeMailetConfig config) throws MessagingException {
        SwitchableNull mailet = new SwitchableNull();
        mailet.init(config);
        return mailet;
    }

    private static SwitchableNull mailetEnabled(String enabled) throws MessagingException {
        return mailet(FakeMailetConfig.builder()
            .mailetName("SwitchableNull")
            .setProperty("enabled", enabled)
            .build());
    }

    private static FakeMail mail() throws MessagingException {
        return FakeMail.builder()
            .name("mail")
            .sender("a@evil.example")
            .recipient("someone@external.example")
            .state(Mail.DEFAULT)
            .build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "True", " true "})
    void serviceShouldDiscardTheMailWhenEnabled(String enabled) throws Exception {
        FakeMail mail = mail();

        mailetEnabled(enabled).service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "FALSE", "False"})
    void serviceShouldLeaveTheMailUntouchedWhenDisabled(String enabled) throws Exception {
        FakeMail mail = mail();

        mailetEnabled(enabled).service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(mail.getRecipients()).hasSize(1);
    }

    @Test
    void initShouldThrowWhenEnabledIsMissing() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder().mailetName("SwitchableNull").build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SwitchableNull")
            .hasMessageContaining("'enabled' is required");
    }

    @Test
    void initShouldThrowWhenEnabledIsEmpty() {
        assertThatThrownBy(() -> mailetEnabled(""))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SwitchableNull")
            .hasMessageContaining("'enabled' is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "1", "0", "on", "ture", "${env:RELAYGUARD_ENFORCE}"})
    void initShouldThrowWhenEnabledIsNotABoolean(String enabled) {
        assertThatThrownBy(() -> mailetEnabled(enabled))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SwitchableNull")
            .hasMessageContaining("'enabled' must be 'true' or 'false'");
    }

    @Test
    void initShouldThrowWhenAnUnknownParameterIsGiven() {
        assertThatThrownBy(() -> mailet(FakeMailetConfig.builder()
                .mailetName("SwitchableNull")
                .setProperty("enabled", "true")
                .setProperty("enable", "false")
                .build()))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SwitchableNull")
            .hasMessageContaining("enable");
    }

    @Test
    void initShouldAcceptJamesErrorHandlingParameters() throws Exception {
        FakeMail mail = mail();

        mailet(FakeMailetConfig.builder()
                .mailetName("SwitchableNull")
                .setProperty("enabled", "true")
                .setProperty("onMailetException", "propagate")
                .build())
            .service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void getMailetInfoShouldTellTheMode() throws Exception {
        assertThat(mailetEnabled("false").getMailetInfo()).contains("SwitchableNull").contains("enabled=false");
    }
}
