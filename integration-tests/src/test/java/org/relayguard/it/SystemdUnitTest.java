package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The distribution's systemd unit {@code systemd/relayguard.service} as systemd reads it: Debian's
 * {@code systemd-analyze verify} on the unit installed in a scratch root (the distribution unpacked
 * at {@code /opt/relayguard} there, systemd's own units beside it), with no complaint at all; and
 * the settings the operator guide promises: its own user, the bind capability and nothing more,
 * restart on failure, room for the connections, time for a graceful stop.
 */
class SystemdUnitTest {

    @Test
    void theUnitOfTheDistributionPassesSystemdAnalyzeVerify() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "relayguard-systemd-");
        try {
            Path install = root.resolve("opt/relayguard");
            Files.createDirectories(install);
            DistributionTest.run("tar", "-xzf", DistributionTest.distributionArchive().toString(), "-C", install.toString(), "--strip-components=1");
            Files.createDirectories(root.resolve("etc/systemd/system"));
            Files.createDirectories(root.resolve("usr/lib/systemd"));
            Files.copy(install.resolve("systemd/relayguard.service"), root.resolve("etc/systemd/system/relayguard.service"));
            DistributionTest.run("cp", "-r", "/usr/lib/systemd/system", root.resolve("usr/lib/systemd").toString());

            DistributionTest.Result verify = DistributionTest.exec("systemd-analyze", "verify", "--man=no", "--root=" + root, "relayguard.service");

            assertThat(verify.exitCode).as("systemd-analyze verify:%n%s", verify.output).isZero();
            assertThat(verify.output).as("what systemd-analyze verify says about the unit").isEmpty();
        } finally {
            DistributionTest.run("rm", "-rf", root.toString());
        }
    }

    /** The check above can fail: a misspelt key and a bad value are reported (and the test would see them). */
    @Test
    void systemdAnalyzeVerifyReportsAMisspeltKeyAndABadValue() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "relayguard-systemd-");
        try {
            Files.createDirectories(root.resolve("etc/systemd/system"));
            Files.createDirectories(root.resolve("usr/lib/systemd"));
            DistributionTest.run("cp", "-r", "/usr/lib/systemd/system", root.resolve("usr/lib/systemd").toString());
            Files.writeString(root.resolve("etc/systemd/system/broken.service"), String.join("\n",
                "[Service]", "ExecStart=/bin/true", "AmbientCapabilites=CAP_NET_BIND_SERVICE", "Restart=on-fail", ""));

            DistributionTest.Result verify = DistributionTest.exec("systemd-analyze", "verify", "--man=no", "--root=" + root, "broken.service");

            assertThat(verify.output).contains("AmbientCapabilites").contains("on-fail");
        } finally {
            DistributionTest.run("rm", "-rf", root.toString());
        }
    }

    @Test
    void theUnitRunsTheServerAsItsOwnUserWithTheBindCapabilityOnly() throws Exception {
        Path unit = org.relayguard.tools.harness.JamesServer.defaultServerDir().resolve("systemd/relayguard.service");
        List<String> lines = Files.readAllLines(unit, StandardCharsets.UTF_8);

        assertThat(lines).contains(
            "User=relayguard",
            "ExecStart=/opt/relayguard/bin/relayguard",
            "AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
            "NoNewPrivileges=true",
            "Restart=on-failure",
            "LimitNOFILE=65536",
            "TimeoutStopSec=120",
            "SuccessExitStatus=143");
    }
}
