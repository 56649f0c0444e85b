package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;

/** Bad configuration stops James at start-up with a message naming the component and the problem. */
class MisconfigurationTest {

    @Test
    void anInvalidMatcherConditionStopsJamesNamingTheMatcher() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            Path mailetContainer = james.conf("mailetcontainer.xml");
            Files.writeString(mailetContainer, Files.readString(mailetContainer, StandardCharsets.UTF_8)
                .replace("<!ENTITY m365Hostnames \".protection.outlook.com\">", "<!ENTITY m365Hostnames \"*.protection.outlook.com\">"),
                StandardCharsets.UTF_8);

            String log = james.startExpectingFailure();

            assertThat(log)
                .contains("SenderHostnameEndsWith: invalid entry '*.protection.outlook.com'")
                .contains("Fatal error while starting James");
        }
    }

    @Test
    void anInvalidModeStopsJamesNamingTheMailetAndParameter() throws Exception {
        try (JamesServer james = JamesServer.builder().env("RELAYGUARD_ENFORCE", "yes").prepare()) {
            String log = james.startExpectingFailure();

            // The mode feeds LogDecision and SwitchableNull; LogDecision comes first in m365_relaydeny.
            assertThat(log)
                .contains("LogDecision: parameter 'enforce' must be 'true' or 'false', got 'yes'")
                .contains("Fatal error while starting James");
        }
    }
}
