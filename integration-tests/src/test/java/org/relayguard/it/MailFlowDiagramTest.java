package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * docs/mail-flow.md does not drift from the shipped configuration: for each profile, the boxes
 * of its Mermaid diagram are exactly the processors of its {@code mailetcontainer.xml}, and every
 * route from one processor to another ({@code ToProcessor}'s {@code processor}, a
 * {@code bounceProcessor}) is an arrow of the diagram. The hardened file is read as shipped and
 * with its opt-in blocks (SECRET HEADER, FROM BINDING) enabled, as an operator enables them.
 *
 * <p>The diagram's convention (said on the page): a processor is a node {@code id["name"]} or
 * {@code id["name: what it does"]}; anything else (a repository, a next hop) is a rounded node
 * {@code id(["..."])}; each diagram starts with {@code %% file: <path in the install bundle>}.</p>
 */
class MailFlowDiagramTest {
    static final Path DIAGRAM = DocLinksTest.REPOSITORY.resolve("docs/mail-flow.md");
    static final Path JAMES_CONF = EnvFileTest.JAMES_ROOT;

    private static final Pattern MERMAID = Pattern.compile("(?s)```mermaid\\n(.*?)```");
    private static final Pattern FILE = Pattern.compile("%% file: (\\S+)");
    private static final Pattern PROCESSOR_NODE = Pattern.compile("(?<![(\\w])(\\w+)\\[\"([^\"]*)\"\\]");
    private static final Pattern ANY_NODE_TEXT = Pattern.compile("\\(?\\[\"[^\"]*\"\\]\\)?");
    private static final Pattern EDGE_LABEL = Pattern.compile("\\|\"[^\"]*\"\\|");
    private static final Pattern EDGE = Pattern.compile("(\\w+)\\s*(?:-->|-\\.->)\\s*(\\w+)");
    /** commons-configuration's {@code ${env:NAME:-default}} with no such variable. */
    private static final Pattern ENV_WITH_DEFAULT = Pattern.compile("\\$\\{env:[^:}]+:-([^}]*)}");
    /** The opt-in recipes are enabled by deleting their marker lines. */
    private static final Pattern RECIPE_MARKER = Pattern.compile("(?m)^\\s*(<!--\\s*(SECRET HEADER|FROM BINDING) BEGIN|(SECRET HEADER|FROM BINDING) END\\s*-->)\\s*$");

    static Stream<String> shippedFiles() {
        return Stream.of("conf/mailetcontainer.xml", "profiles/proofpoint/mailetcontainer.xml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedFiles")
    void theDiagramShowsExactlyTheProcessorsOfTheShippedFile(String file) throws Exception {
        Flow configured = configured(file);
        Diagram diagram = diagrams().get(file);

        assertThat(diagram).as("a diagram headed '%%%% file: %s' in %s", file, DIAGRAM).isNotNull();
        assertThat(configured.processors).as("processors of %s", file).hasSizeGreaterThan(5);
        assertThat(diagram.processors()).as("processors the diagram of %s shows", file)
            .containsExactlyInAnyOrderElementsOf(configured.processors);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedFiles")
    void everyRouteOfTheShippedFileIsAnArrowOfTheDiagram(String file) throws Exception {
        Flow configured = configured(file);
        Diagram diagram = diagrams().get(file);

        assertThat(configured.routes).as("routes of %s", file).hasSizeGreaterThan(5);
        assertThat(diagram.routes()).as("arrows between processors in the diagram of %s", file)
            .containsAll(configured.routes);
    }

    /** The checks can fail: a processor the file lacks and a route the diagram lacks are seen. */
    @Test
    void aMissingProcessorOrRouteIsSeen() throws Exception {
        Flow configured = configured("profiles/proofpoint/mailetcontainer.xml");
        Diagram drifted = Diagram.parse(diagrams().get("profiles/proofpoint/mailetcontainer.xml").source
            .replace("m365_mail -->|\"allowed\"| transport", "")
            .replace("m365_our_outbound[\"m365_our_outbound\"]", "m365_our_outbound[\"m365_our_outbound_renamed\"]"));

        assertThat(drifted.processors()).contains("m365_our_outbound_renamed").doesNotContain("m365_our_outbound");
        assertThat(configured.processors).doesNotContain("m365_our_outbound_renamed");
        assertThat(configured.routes).contains("m365_mail -> transport");
        assertThat(drifted.routes()).doesNotContain("m365_mail -> transport");
    }

    private static Map<String, Diagram> diagrams() throws IOException {
        Map<String, Diagram> diagrams = new LinkedHashMap<>();
        Matcher block = MERMAID.matcher(Files.readString(DIAGRAM, StandardCharsets.UTF_8));
        while (block.find()) {
            Matcher file = FILE.matcher(block.group(1));
            if (file.find()) {
                diagrams.put(file.group(1), Diagram.parse(block.group(1)));
            }
        }
        return diagrams;
    }

    /** One Mermaid flowchart: node id to processor name, and its arrows. */
    static final class Diagram {
        final String source;
        final Map<String, String> processorById;
        final Set<List<String>> edges;

        private Diagram(String source, Map<String, String> processorById, Set<List<String>> edges) {
            this.source = source;
            this.processorById = processorById;
            this.edges = edges;
        }

        static Diagram parse(String source) {
            Map<String, String> processors = new LinkedHashMap<>();
            Set<List<String>> edges = new LinkedHashSet<>();
            for (String line : source.lines().collect(Collectors.toList())) {
                if (line.trim().startsWith("%%")) {
                    continue;
                }
                Matcher node = PROCESSOR_NODE.matcher(line);
                while (node.find()) {
                    String name = node.group(2).split(":", 2)[0].trim();
                    String previous = processors.put(node.group(1), name);
                    assertThat(previous == null || previous.equals(name)).as("node %s named twice differently", node.group(1)).isTrue();
                }
                String bare = ANY_NODE_TEXT.matcher(EDGE_LABEL.matcher(line).replaceAll("")).replaceAll("");
                Matcher edge = EDGE.matcher(bare);
                while (edge.find()) {
                    edges.add(List.of(edge.group(1), edge.group(2)));
                }
            }
            return new Diagram(source, processors, edges);
        }

        Set<String> processors() {
            return new LinkedHashSet<>(processorById.values());
        }

        /** Arrows whose both ends are processors, as "from -> to". */
        Set<String> routes() {
            return edges.stream()
                .filter(edge -> processorById.containsKey(edge.get(0)) && processorById.containsKey(edge.get(1)))
                .map(edge -> processorById.get(edge.get(0)) + " -> " + processorById.get(edge.get(1)))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        }
    }

    /** The processors of a shipped file and its routes, as shipped and with every opt-in recipe enabled. */
    static final class Flow {
        final Set<String> processors = new LinkedHashSet<>();
        final Set<String> routes = new LinkedHashSet<>();
    }

    static Flow configured(String file) throws Exception {
        String xml = Files.readString(JAMES_CONF.resolve(file), StandardCharsets.UTF_8);
        Flow flow = new Flow();
        for (String variant : List.of(xml, RECIPE_MARKER.matcher(xml).replaceAll(""))) {
            Document document = document(variant);
            NodeList processors = document.getElementsByTagName("processor");
            for (int i = 0; i < processors.getLength(); i++) {
                Element element = (Element) processors.item(i);
                if (element.hasAttribute("state")) {
                    flow.processors.add(element.getAttribute("state"));
                }
            }
            NodeList mailets = document.getElementsByTagName("mailet");
            for (int i = 0; i < mailets.getLength(); i++) {
                Element mailet = (Element) mailets.item(i);
                String from = ((Element) mailet.getParentNode()).getAttribute("state");
                for (String target : targets(mailet)) {
                    flow.routes.add(from + " -> " + target);
                }
            }
        }
        return flow;
    }

    private static List<String> targets(Element mailet) {
        List<String> targets = new ArrayList<>();
        for (Node child = mailet.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (!(child instanceof Element)) {
                continue;
            }
            String name = ((Element) child).getTagName();
            boolean toProcessor = name.equals("processor") && mailet.getAttribute("class").endsWith("ToProcessor");
            if (toProcessor || name.equals("bounceProcessor") || name.equals("errorProcessor")) {
                targets.add(interpolate(child.getTextContent().trim()));
            }
        }
        return targets;
    }

    private static String interpolate(String value) {
        Matcher matcher = ENV_WITH_DEFAULT.matcher(value);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(result, Matcher.quoteReplacement(matcher.group(1)));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private static Document document(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setExpandEntityReferences(true);
        factory.setIgnoringComments(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }
}
