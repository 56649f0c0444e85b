package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.run.RunRoot;

/**
 * What {@code ./run.sh} makes of its server root run/ on the built server: conf/ laid out once and then
 * the operator's (edits kept and named, never lost to a profile switch), extensions-jars/ refreshed.
 */
class RunRootTest {
    private static final Path SERVER = JamesServer.defaultServerDir();

    @TempDir
    Path root;

    @Test
    void aFreshRootGetsTheShippedConfigurationOfTheProfileAndTheExtension() throws IOException {
        assertThat(layOut("hardened")).isEmpty();

        assertThat(root.resolve("conf/mailetcontainer.xml")).hasSameBinaryContentAs(SERVER.resolve("conf/mailetcontainer.xml"));
        assertThat(root.resolve("conf/smtpserver.xml")).hasSameBinaryContentAs(SERVER.resolve("conf/smtpserver.xml"));
        assertThat(root.resolve("conf/tls/README.txt")).exists();
        assertThat(root.resolve("profile")).hasContent("hardened");
        try (var jars = Files.list(root.resolve("extensions-jars"))) {
            assertThat(jars.map(jar -> jar.getFileName().toString())).anyMatch(name -> name.startsWith("relayguard-core-"));
        }
    }

    @Test
    void anEditedFileIsKeptAndNamed() throws IOException {
        layOut("hardened");
        Files.writeString(root.resolve("conf/logback.xml"), "<configuration/>\n");
        Files.writeString(root.resolve("conf/mailetcontainer.xml"), "edited\n");

        assertThat(layOut("hardened")).containsExactly(
            "run/conf differs from the shipped configuration in: mailetcontainer.xml logback.xml (kept; delete a file to get the shipped one back).");
        assertThat(root.resolve("conf/logback.xml")).hasContent("<configuration/>");
        assertThat(root.resolve("conf/mailetcontainer.xml")).hasContent("edited");
    }

    @Test
    void anUneditedProfileIsSwitched() throws IOException {
        layOut("hardened");

        assertThat(layOut("proofpoint")).containsExactly("run/conf/mailetcontainer.xml: switching to the proofpoint profile.");
        assertThat(root.resolve("conf/mailetcontainer.xml"))
            .hasSameBinaryContentAs(SERVER.resolve("profiles/proofpoint/mailetcontainer.xml"));
        assertThat(root.resolve("profile")).hasContent("proofpoint");
    }

    @Test
    void anEditedProfileIsNeverReplacedByTheOther() throws IOException {
        layOut("hardened");
        Files.writeString(root.resolve("conf/mailetcontainer.xml"), "edited\n");

        assertThatThrownBy(() -> layOut("proofpoint"))
            .isInstanceOf(RunRoot.Refused.class)
            .hasMessage("run/conf/mailetcontainer.xml holds your edits of the hardened profile."
                + " Move it away, and run.sh lays out the shipped proofpoint profile in its place.");
        assertThat(root.resolve("conf/mailetcontainer.xml")).hasContent("edited");
        assertThat(root.resolve("profile")).hasContent("hardened");
    }

    @Test
    void theOperatorsCertificateIsKeptAndStaleJarsGo() throws IOException {
        layOut("hardened");
        Files.writeString(root.resolve("conf/tls/fullchain.pem"), "mine\n");
        Files.writeString(root.resolve("extensions-jars/relayguard-matchers-0.0.1.jar"), "stale");

        assertThat(layOut("hardened")).isEmpty();
        assertThat(root.resolve("conf/tls/fullchain.pem")).hasContent("mine");
        assertThat(root.resolve("extensions-jars/relayguard-matchers-0.0.1.jar")).doesNotExist();
    }

    private List<String> layOut(String profile) throws IOException {
        return new RunRoot(root, SERVER, profile).layOut();
    }
}
