package org.relayguard.tools.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Laying out a James server root from the one {@code james-server} builds, as an operator installs
 * it: the install bundle's {@code conf/} and {@code extensions-jars/}, the profile's
 * mailetcontainer.xml, and the listeners' certificate where smtpserver.xml reads it.
 */
final class ServerRoot {
    private ServerRoot() {
    }

    /** Lays out {@code root} unless it holds a {@code conf/} already (a restarted server keeps its own). */
    static void layOut(Path serverDir, Path root, JamesServer.Profile profile, boolean gatewayCertificate) throws IOException {
        if (Files.exists(root.resolve("conf"))) {
            return;
        }
        FileTrees.copy(serverDir.resolve("conf"), root.resolve("conf"));
        FileTrees.copy(serverDir.resolve("extensions-jars"), root.resolve("extensions-jars"));
        if (profile == JamesServer.Profile.PROOFPOINT) {
            Files.copy(serverDir.resolve("profiles/proofpoint/mailetcontainer.xml"),
                root.resolve("conf/mailetcontainer.xml"), StandardCopyOption.REPLACE_EXISTING);
        }
        if (gatewayCertificate) {
            TestPki.gateway().writePem(root.resolve(JamesServer.TLS_KEY), root.resolve(JamesServer.TLS_CERTIFICATES));
        }
    }
}
