package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * The two profiles differ in their settings and in how they check Microsoft 365 mail; from the
 * quarantine on they are one gateway. Each shipped mailetcontainer.xml stays one complete file an
 * operator copies and edits, so those processors are in both, between the lines
 * "SHARED BY BOTH PROFILES" and "END OF THE SHARED PROCESSORS", and must be the same lines in both:
 * a fix made in one profile only would otherwise reach half of the gateways. They are written once,
 * {@code james-conf/src/main/mailetcontainer/shared-processors.xml}, and the james-conf build puts
 * them into each profile's own part ({@code hardened.xml}, {@code proofpoint.xml} beside it). What
 * really differs there, the profile's name in the decision log, is the entity {@code profile} of each
 * file's DOCTYPE. The files are read from the laid-out server roots, as the bundle ships them.
 */
class ProfilesShareDeliveryTest {
    static final String BEGIN = "<!-- ===== SHARED BY BOTH PROFILES";
    static final String END = "<!-- ===== END OF THE SHARED PROCESSORS ===== -->";
    /** Quarantine and release, then the delivery half: every processor after the M365 checks. */
    static final List<String> SHARED_PROCESSORS = List.of(
        "m365_relaydeny", "m365_release", "transport", "to_m365", "relay", "relay-denied", "bounces", "relayed-notices", "error");
    static final Pattern PROCESSOR = Pattern.compile("<processor state=\"([^\"]+)\"");
    /** The profiles' sources: each profile's own part and the shared processors. */
    static final Path SOURCES = DocLinksTest.REPOSITORY.resolve("james-conf/src/main/mailetcontainer");
    /** The line of a profile's own part that the build replaces with the shared processors. */
    static final String SHARED_LINE = "<!-- SHARED PROCESSORS: the build puts shared-processors.xml here -->";

    /** Each shipped file is its profile's own part with the one shared source in place, verbatim. */
    @Test
    void eachShippedProfileIsItsOwnPartWithTheOneSharedSource() throws Exception {
        try (JamesServer hardened = JamesServer.builder().prepare();
             JamesServer proofpoint = JamesServer.builder().profile(JamesServer.Profile.PROOFPOINT).prepare()) {
            String sharedSource = Files.readString(SOURCES.resolve("shared-processors.xml"), StandardCharsets.UTF_8).strip();
            String hardenedXml = Files.readString(hardened.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            String proofpointXml = Files.readString(proofpoint.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);

            assertThat(shared(hardenedXml)).as("the shared part of the hardened profile").isEqualTo(sharedSource);
            assertThat(shared(proofpointXml)).as("the shared part of the proofpoint profile").isEqualTo(sharedSource);
            assertThat(hardenedXml).as("conf/mailetcontainer.xml made from hardened.xml")
                .isEqualTo(ownPart("hardened.xml").replace(SHARED_LINE, sharedSource));
            assertThat(proofpointXml).as("profiles/proofpoint/mailetcontainer.xml made from proofpoint.xml")
                .isEqualTo(ownPart("proofpoint.xml").replace(SHARED_LINE, sharedSource));
        }
    }

    @Test
    void theQuarantineAndDeliveryProcessorsAreTheSameLinesInBothProfiles() throws Exception {
        try (JamesServer hardened = JamesServer.builder().prepare();
             JamesServer proofpoint = JamesServer.builder().profile(JamesServer.Profile.PROOFPOINT).prepare()) {
            String hardenedXml = Files.readString(hardened.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            String proofpointXml = Files.readString(proofpoint.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);

            assertThat(states(shared(hardenedXml))).as("the shared processors of the hardened profile")
                .containsExactlyElementsOf(SHARED_PROCESSORS);
            assertThat(states(outsideShared(hardenedXml))).as("hardened processors outside the shared part")
                .doesNotContainAnyElementsOf(SHARED_PROCESSORS);
            assertThat(states(outsideShared(proofpointXml))).as("proofpoint processors outside the shared part")
                .doesNotContainAnyElementsOf(SHARED_PROCESSORS);
            assertThat(differences(shared(hardenedXml), shared(proofpointXml))).isEmpty();
            // The one difference kept: each profile's decision log lines name it.
            assertThat(logDecisionProfiles(hardenedXml)).containsExactly("hardened", "hardened");
            assertThat(logDecisionProfiles(proofpointXml)).containsExactly("proofpoint", "proofpoint");
        }
    }

    @Test
    void aChangeMadeInOneProfileOnlyFailsTheCheck() throws Exception {
        try (JamesServer hardened = JamesServer.builder().prepare();
             JamesServer proofpoint = JamesServer.builder().profile(JamesServer.Profile.PROOFPOINT).prepare()) {
            String hardenedXml = Files.readString(hardened.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            String proofpointXml = Files.readString(proofpoint.conf("mailetcontainer.xml"), StandardCharsets.UTF_8);
            String retries = "<maxRetries>126</maxRetries>";
            assertThat(shared(proofpointXml)).contains(retries);

            List<String> differences = differences(shared(hardenedXml),
                shared(proofpointXml.replaceFirst(retries, "<maxRetries>12</maxRetries>")));

            assertThat(differences).singleElement().asString()
                .contains("<maxRetries>126</maxRetries>").contains("<maxRetries>12</maxRetries>");
        }
    }

    /** The text from the line "SHARED BY BOTH PROFILES" to the line "END OF THE SHARED PROCESSORS". */
    static String shared(String xml) {
        int begin = xml.indexOf(BEGIN);
        int end = xml.indexOf(END);
        assertThat(begin).as("the line " + BEGIN).isPositive();
        assertThat(end).as("the line " + END).isGreaterThan(begin);
        assertThat(xml.indexOf(BEGIN, begin + 1)).as("one shared part").isNegative();
        return xml.substring(begin, end + END.length());
    }

    static String ownPart(String source) throws Exception {
        String own = Files.readString(SOURCES.resolve(source), StandardCharsets.UTF_8);
        assertThat(own).as("%s has the line for the shared processors", source).contains(SHARED_LINE);
        return own;
    }

    static String outsideShared(String xml) {
        return xml.substring(0, xml.indexOf(BEGIN)) + xml.substring(xml.indexOf(END) + END.length());
    }

    static List<String> states(String xml) {
        List<String> states = new ArrayList<>();
        Matcher matcher = PROCESSOR.matcher(xml);
        while (matcher.find()) {
            states.add(matcher.group(1));
        }
        return states;
    }

    /** Line by line, as an operator's diff of the two files shows them. */
    static List<String> differences(String hardened, String proofpoint) {
        String[] left = hardened.split("\n", -1);
        String[] right = proofpoint.split("\n", -1);
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < Math.max(left.length, right.length); i++) {
            String a = i < left.length ? left[i] : "(none)";
            String b = i < right.length ? right[i] : "(none)";
            if (!a.equals(b)) {
                differences.add("shared line " + (i + 1) + ": hardened " + a.strip() + " | proofpoint " + b.strip());
            }
        }
        return differences;
    }

    /** The profile parameter of every LogDecision, entities expanded as James's XML parser does. */
    static List<String> logDecisionProfiles(String xml) throws Exception {
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new InputSource(new StringReader(xml)));
        NodeList mailets = document.getElementsByTagName("mailet");
        List<String> profiles = new ArrayList<>();
        for (int i = 0; i < mailets.getLength(); i++) {
            Element mailet = (Element) mailets.item(i);
            if (mailet.getAttribute("class").endsWith(".LogDecision")) {
                profiles.add(mailet.getElementsByTagName("profile").item(0).getTextContent().strip());
            }
        }
        return profiles;
    }
}
