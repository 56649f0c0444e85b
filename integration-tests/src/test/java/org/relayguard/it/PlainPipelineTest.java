package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import org.junit.jupiter.api.Test;
import org.relayguard.it.load.PlainPipeline;

/** The load comparison's baseline is the shipped file minus Relay Guard, and nothing else. */
class PlainPipelineTest {

    @Test
    void thePlainPipelineIsTheShippedOneWithoutRelayGuard() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            String shipped = Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            PlainPipeline.apply(james);
            String plain = Files.readString(james.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);

            assertThat(shipped).contains("org.relayguard", "state=\"m365_mail\"", "match=\"m365-traffic\"");
            assertThat(plain)
                .doesNotContain("org.relayguard", "state=\"m365_", "m365-traffic")
                .contains("state=\"root\"", "state=\"transport\"", "state=\"to_m365\"", "state=\"relay\"", "class=\"RemoteDelivery\"",
                    "<threads>20</threads>");
        }
    }
}
