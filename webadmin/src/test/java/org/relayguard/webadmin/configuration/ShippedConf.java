package org.relayguard.webadmin.configuration;

import static com.google.common.base.Preconditions.checkState;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The shipped configuration files, read as a James started in its server root reads them. */
final class ShippedConf {
    static final Path ROOT = Path.of("../james-conf/src/main/james").toAbsolutePath().normalize();
    /** The profiles' sources, from which the james-conf build makes the two mailetcontainer.xml files. */
    private static final Path PROFILES = Path.of("../james-conf/src/main/mailetcontainer").toAbsolutePath().normalize();
    private static final Map<String, String> PROFILE_SOURCES = Map.of(
        "conf/mailetcontainer.xml", "hardened.xml",
        "profiles/proofpoint/mailetcontainer.xml", "proofpoint.xml");
    /** The line of a profile's source that the build replaces with the shared processors. */
    private static final String SHARED_PROCESSORS = "<!-- SHARED PROCESSORS: the build puts shared-processors.xml here -->";
    private static final String SERVER_ROOT_LOOKUP = "${xml:conf/";

    private ShippedConf() {
    }

    /**
     * A shipped file whose {@code ${xml:conf/…}} lookups (Microsoft's ranges) name the shipped
     * {@code conf/}: James resolves them from its working directory, the server root, which a test
     * in this module does not run in.
     */
    static InputStream open(String file) throws IOException {
        String text = shipped(file)
            .replace(SERVER_ROOT_LOOKUP, "${xml:" + ROOT.resolve("conf") + "/");
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The file as the bundle ships it: a profile as the james-conf build makes it (its pom.xml, antrun). */
    private static String shipped(String file) throws IOException {
        String profile = PROFILE_SOURCES.get(file);
        if (profile == null) {
            return Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8);
        }
        String own = Files.readString(PROFILES.resolve(profile), StandardCharsets.UTF_8);
        checkState(own.contains(SHARED_PROCESSORS), "%s has no line for the shared processors", profile);
        String shared = Files.readString(PROFILES.resolve("shared-processors.xml"), StandardCharsets.UTF_8).strip();
        return own.replace(SHARED_PROCESSORS, shared);
    }
}
