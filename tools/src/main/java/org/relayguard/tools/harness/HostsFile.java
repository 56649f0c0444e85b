package org.relayguard.tools.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The hosts file that replaces all JDK name look-ups of the James process (demo and tests only):
 * loopback sources get the names of a Microsoft 365 host and of an internet host.
 */
final class HostsFile {
    private HostsFile() {
    }

    /** Writes {@code hosts} into the server root and returns it. */
    static Path write(Path root) throws IOException {
        String ownName = InetAddress.getLocalHost().getHostName();
        Path hosts = root.resolve("hosts");
        Files.writeString(hosts, String.join("\n",
            "127.0.0.1 localhost " + ownName,
            "::1 localhost",
            JamesServer.M365_HOST_SOURCE + " " + JamesServer.M365_HOST_NAME,
            JamesServer.INTERNET_HOST_SOURCE + " " + JamesServer.INTERNET_HOST_NAME,
            ""), StandardCharsets.UTF_8);
        return hosts;
    }
}
