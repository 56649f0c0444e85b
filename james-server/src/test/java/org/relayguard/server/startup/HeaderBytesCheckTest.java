package org.relayguard.server.startup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;

import org.apache.james.lifecycle.api.StartUpCheck;
import org.junit.jupiter.api.Test;

class HeaderBytesCheckTest {

    private static StartUpCheck.CheckResult check(String value) {
        Properties system = new Properties();
        if (value != null) {
            system.setProperty(HeaderBytesCheck.PROPERTY, value);
        }
        return new HeaderBytesCheck(system).check();
    }

    @Test
    void checkShouldFailNamingThePropertyWhenJavaxMailWouldReadHeadersAsUtf8() {
        StartUpCheck.CheckResult result = check("TRUE");

        assertThat(result.isBad()).isTrue();
        assertThat(result.getDescription()).hasValueSatisfying(description -> assertThat(description).contains("mail.mime.allowutf8", "JAVA_OPTS"));
    }

    @Test
    void checkShouldPassWhenThePropertyIsUnsetOrNotTrue() {
        assertThat(check(null).isGood()).isTrue();
        assertThat(check("false").isGood()).isTrue();
        assertThat(check("yes").isGood()).as("javax.mail takes only 'true' as true").isTrue();
    }
}
