package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.load.PlainPipeline;

/** The load comparison's baseline is the shipped configuration without Relay Guard, and nothing else. */
class PlainPipelineTest {

    @Test
    void thePlainPipelineIsTheShippedOneWithoutRelayGuard() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            String shippedMailets = Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            String shippedSmtp = Files.readString(james.conf("smtpserver.xml"), StandardCharsets.UTF_8);
            PlainPipeline.apply(james);
            String plainMailets = withoutComments(Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8));
            String plainSmtp = withoutComments(Files.readString(james.conf("smtpserver.xml"), StandardCharsets.UTF_8));

            assertThat(shippedMailets).contains("org.relayguard", "state=\"m365_mail\"", "match=\"m365-traffic\"");
            assertThat(shippedSmtp).contains("class=\"org.relayguard");
            assertThat(plainMailets)
                .doesNotContain("org.relayguard", "state=\"m365_", "m365-traffic", "X-Relayguard-Secret")
                .contains("state=\"root\"", "state=\"transport\"", "state=\"to_m365\"", "state=\"relay\"", "class=\"RemoteDelivery\"",
                    "<threads>20</threads>", "<name>bcc</name>",
                    "<outgoing>to-m365-contoso</outgoing>",
                    "<gateway>${env:RELAYGUARD_M365_SMARTHOST:-contoso-com.mail.protection.outlook.com}</gateway>");
            assertThat(plainSmtp)
                .doesNotContain("org.relayguard")
                .contains("CoreCmdHandlerLoader", "<authorizedAddresses>", "<proxyRequired>true</proxyRequired>");
        }
    }

    private static String withoutComments(String xml) {
        return xml.replaceAll("(?s)<!--.*?-->", "");
    }
}
