package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.commons.configuration2.interpol.ConfigurationInterpolator;
import org.apache.commons.text.lookup.StringLookupFactory;
import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * Microsoft's Exchange Online ranges are written once (conf/exchange-online-ranges.xml) and every
 * place that needs them gets the same list: the {@code authorizedAddresses} and the
 * {@code M365AllowRelay} handler of both listeners (smtpserver.xml) and every
 * {@code RemoteAddrInNetwork} of the mail routes (mailetcontainer.xml, both profiles). The files are
 * read as James 3.8.1 reads them: the XML parser expands the entities, then commons-configuration2's
 * interpolation with its default lookups resolves {@code ${xml:…}}, its path taken from the server
 * root as James's working directory. A listener or a route given a list of its own that differs
 * fails this test.
 */
class ExchangeOnlineRangesTest {
    static final String RANGES_FILE = "conf/exchange-online-ranges.xml";
    static final String LOOPBACK = "127.0.0.0/8";
    static final String ALLOW_RELAY_HANDLER = "org.relayguard.smtp.M365AllowRelay";
    static final String NETWORK_MATCHER = "RemoteAddrInNetwork=";
    static final Pattern RANGE = Pattern.compile("[0-9.]+/[0-9]{1,2}|[0-9a-f:]+/[0-9]{1,3}");

    @Test
    void everyListenerAndEveryRouteReadsTheOneListOfRanges() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare();
             JamesServer proofpoint = JamesServer.builder().profile(JamesServer.Profile.PROOFPOINT).prepare()) {
            Set<String> file = fileRanges(james.root());
            Map<String, Set<String>> places = places(james.root(), "conf/mailetcontainer.xml", "conf/smtpserver.xml");
            places(proofpoint.root(), "conf/mailetcontainer.xml").forEach((place, ranges) -> places.put("proofpoint " + place, ranges));

            assertThat(file).contains("40.107.0.0/16", "2a01:111:f400::/48");
            assertThat(places.keySet()).as("the places that need the ranges")
                .contains("conf/smtpserver.xml smtpserver-global authorizedAddresses", "conf/smtpserver.xml smtpserver-global M365AllowRelay",
                    "conf/smtpserver.xml smtpserver-proxied authorizedAddresses", "conf/smtpserver.xml smtpserver-proxied M365AllowRelay")
                .anyMatch(place -> place.startsWith("conf/mailetcontainer.xml RemoteAddrInNetwork"));
            assertThat(differences(file, places)).isEmpty();
        }
    }

    @Test
    void aListenerWithItsOwnCopyOfTheRangesFailsTheCheck() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            Path smtpServer = james.conf("smtpserver.xml");
            String xml = Files.readString(smtpServer, StandardCharsets.UTF_8);
            int proxied = xml.indexOf("<jmxName>smtpserver-proxied</jmxName>");
            String shipped = "<authorizedAddresses>127.0.0.0/8, &exchangeOnlineRanges;</authorizedAddresses>";
            assertThat(xml.indexOf(shipped, proxied)).as("the proxied listener reads the ranges file").isPositive();
            Files.writeString(smtpServer, xml.substring(0, proxied)
                + xml.substring(proxied).replace(shipped, "<authorizedAddresses>127.0.0.0/8, 40.92.0.0/15, 40.107.0.0/16</authorizedAddresses>"),
                StandardCharsets.UTF_8);

            List<String> differences = differences(fileRanges(james.root()), places(james.root(), "conf/smtpserver.xml"));

            assertThat(differences).singleElement().asString().contains("smtpserver-proxied authorizedAddresses");
        }
    }

    @Test
    void aRouteWithItsOwnCopyOfTheRangesFailsTheCheck() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            Path mailets = james.conf("mailetcontainer.xml");
            String xml = Files.readString(mailets, StandardCharsets.UTF_8);
            String entity = "<!ENTITY m365Networks \"${xml:" + RANGES_FILE + ":normalize-space(/exchangeOnlineRanges)}\">";
            assertThat(xml).contains(entity);
            Files.writeString(mailets, xml.replace(entity, "<!ENTITY m365Networks \"40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/15\">"),
                StandardCharsets.UTF_8);

            List<String> differences = differences(fileRanges(james.root()), places(james.root(), "conf/mailetcontainer.xml"));

            assertThat(differences).isNotEmpty().allMatch(line -> line.contains("RemoteAddrInNetwork"));
        }
    }

    @Test
    void theRangesFileHoldsCommaSeparatedRangesOnly() throws Exception {
        try (JamesServer james = JamesServer.builder().prepare()) {
            String content = interpolator(james.root()).interpolate("${xml:" + RANGES_FILE + ":normalize-space(/exchangeOnlineRanges)}").toString();
            // James's RemoteAddrInNetwork splits on commas only: "a b" would be one bad entry, "a,,b" an empty one.
            for (String entry : content.split(",", -1)) {
                assertThat(entry.trim()).as("entry of %s", content).matches(RANGE);
            }
        }
    }

    /** Each place whose ranges are not the file's, with what it has. */
    static List<String> differences(Set<String> file, Map<String, Set<String>> places) {
        return places.entrySet().stream()
            .filter(place -> !place.getValue().equals(file))
            .map(place -> place.getKey() + " has " + place.getValue() + ", the ranges file " + file)
            .collect(Collectors.toList());
    }

    static Set<String> fileRanges(Path root) {
        return ranges(interpolator(root).interpolate("${xml:" + RANGES_FILE + ":normalize-space(/exchangeOnlineRanges)}").toString());
    }

    /** The ranges of every place in these files (relative to the root), keyed "file listener what". */
    static Map<String, Set<String>> places(Path root, String... files) throws Exception {
        ConfigurationInterpolator interpolator = interpolator(root);
        Map<String, Set<String>> places = new LinkedHashMap<>();
        for (String file : files) {
            Document document = parse(root.resolve(file));
            if (file.endsWith("smtpserver.xml")) {
                for (Element listener : elements(document.getDocumentElement(), "smtpserver")) {
                    String name = file + " " + text(listener, "jmxName");
                    Set<String> authorized = ranges(interpolator.interpolate(text(listener, "authorizedAddresses")).toString());
                    authorized.remove(LOOPBACK);
                    places.put(name + " authorizedAddresses", authorized);
                    for (Element handler : elements(listener, "handler")) {
                        if (handler.getAttribute("class").equals(ALLOW_RELAY_HANDLER)) {
                            places.put(name + " M365AllowRelay", ranges(interpolator.interpolate(text(handler, "networks")).toString()));
                        }
                    }
                }
            } else {
                int index = 0;
                for (Element matcher : elements(document.getDocumentElement(), "matcher")) {
                    String match = matcher.getAttribute("match");
                    if (match.startsWith(NETWORK_MATCHER)) {
                        String condition = match.substring(NETWORK_MATCHER.length());
                        places.put(file + " RemoteAddrInNetwork #" + index++, ranges(interpolator.interpolate(condition).toString()));
                    }
                }
            }
        }
        return places;
    }

    /** James's interpolation: commons-configuration2's default lookups; {@code xml:} paths from the server root. */
    static ConfigurationInterpolator interpolator(Path root) {
        ConfigurationInterpolator interpolator = new ConfigurationInterpolator();
        interpolator.registerLookups(ConfigurationInterpolator.getDefaultPrefixLookups());
        interpolator.registerLookup("xml", key -> StringLookupFactory.INSTANCE.xmlStringLookup().lookup(root.resolve("") + "/" + key));
        return interpolator;
    }

    static Set<String> ranges(String list) {
        return new TreeSet<>(List.of(list.split("[,\\s]+"))).stream()
            .filter(entry -> !entry.isEmpty())
            .map(String::toLowerCase)
            .collect(Collectors.toCollection(TreeSet::new));
    }

    static Document parse(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setExpandEntityReferences(true);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(Files.readString(file, StandardCharsets.UTF_8))));
    }

    static List<Element> elements(Element parent, String name) {
        NodeList nodes = parent.getElementsByTagName(name);
        List<Element> elements = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            elements.add((Element) nodes.item(i));
        }
        return elements;
    }

    static String text(Element parent, String child) throws IOException {
        List<Element> found = elements(parent, child);
        if (found.size() != 1) {
            throw new IOException("expected one <" + child + "> in <" + parent.getTagName() + ">, found " + found.size());
        }
        return found.get(0).getTextContent();
    }
}
