package org.relayguard.webadmin.configuration;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shipped configuration files, read as a James started in its server root reads them. */
final class ShippedConf {
    static final Path ROOT = Path.of("../james-conf/src/main/james").toAbsolutePath().normalize();
    private static final String SERVER_ROOT_LOOKUP = "${xml:conf/";

    private ShippedConf() {
    }

    /**
     * A shipped file whose {@code ${xml:conf/…}} lookups (Microsoft's ranges) name the shipped
     * {@code conf/}: James resolves them from its working directory, the server root, which a test
     * in this module does not run in.
     */
    static InputStream open(String file) throws IOException {
        String text = Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8)
            .replace(SERVER_ROOT_LOOKUP, "${xml:" + ROOT.resolve("conf") + "/");
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }
}
