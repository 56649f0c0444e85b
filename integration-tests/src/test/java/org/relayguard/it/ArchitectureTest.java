package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * docs/architecture.md stays the map of the code it ships with: its module picture has exactly the
 * dependencies the poms declare, it names every package of main code and no package that is gone,
 * and every package says in its package-info which one concern its classes share.
 */
class ArchitectureTest {
    static final Path ARCHITECTURE = DocLinksTest.REPOSITORY.resolve("docs/architecture.md");
    private static final Pattern MODULES_DIAGRAM = Pattern.compile("(?s)```mermaid\\n%% modules\\n(.*?)```");
    private static final Pattern EDGE = Pattern.compile("([\\w-]+)(?:\\[[^\\]]*\\])?\\s*-->\\s*([\\w-]+)");
    private static final Pattern PACKAGE_NAME = Pattern.compile("`(org\\.relayguard(?:\\.[a-z][a-z0-9]*)+)`");
    private static final Pattern PACKAGE_JAVADOC = Pattern.compile("(?s)/\\*\\*(.*?)\\*/\\s*package ");

    @Test
    void theModulePictureHasExactlyTheDependenciesOfThePoms() throws Exception {
        Matcher diagram = MODULES_DIAGRAM.matcher(Files.readString(ARCHITECTURE, StandardCharsets.UTF_8));
        assertThat(diagram.find()).as("a mermaid block starting with %% modules in " + ARCHITECTURE).isTrue();
        Set<String> drawn = new TreeSet<>();
        Matcher edge = EDGE.matcher(diagram.group(1));
        while (edge.find()) {
            drawn.add(edge.group(1) + " -> " + edge.group(2));
        }

        assertThat(drawn).isEqualTo(pomDependencies());
    }

    @Test
    void theArchitectureNamesEveryPackageOfMainCodeAndNoOther() throws IOException {
        Set<String> named = new TreeSet<>();
        Matcher name = PACKAGE_NAME.matcher(Files.readString(ARCHITECTURE, StandardCharsets.UTF_8));
        while (name.find()) {
            named.add(name.group(1));
        }

        assertThat(named).isEqualTo(mainPackages().keySet());
    }

    @Test
    void everyPackageOfMainCodeSaysItsConcernInAPackageInfo() throws IOException {
        Set<String> silent = new TreeSet<>();
        for (var entry : mainPackages().entrySet()) {
            Path info = entry.getValue().resolve("package-info.java");
            if (!Files.exists(info) || !saysSomething(Files.readString(info, StandardCharsets.UTF_8))) {
                silent.add(entry.getKey());
            }
        }

        assertThat(silent).as("packages without a package-info Javadoc").isEmpty();
    }

    private static boolean saysSomething(String packageInfo) {
        Matcher javadoc = PACKAGE_JAVADOC.matcher(packageInfo);
        return javadoc.find() && javadoc.group(1).replaceAll("[\\s*]", "").length() >= 40;
    }

    /** Each package of src/main/java in every module, with its folder. */
    static Map<String, Path> mainPackages() throws IOException {
        Map<String, Path> packages = new TreeMap<>();
        for (String module : modules()) {
            Path sources = DocLinksTest.REPOSITORY.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toList())) {
                    Path folder = file.getParent();
                    packages.put(sources.relativize(folder).toString().replace('/', '.'), folder);
                }
            }
        }
        return packages;
    }

    private static List<String> modules() throws IOException {
        try {
            return childTexts(pom(DocLinksTest.REPOSITORY).getDocumentElement(), "modules", "module");
        } catch (Exception e) {
            throw new IOException("cannot read the parent pom", e);
        }
    }

    /** "a -> b" for each module a whose pom depends on module b (any scope). */
    private static Set<String> pomDependencies() throws Exception {
        Set<String> edges = new TreeSet<>();
        List<String> modules = modules();
        for (String module : modules) {
            Element project = pom(DocLinksTest.REPOSITORY.resolve(module)).getDocumentElement();
            for (Element dependency : children(child(project, "dependencies"), "dependency")) {
                String artifact = text(dependency, "artifactId");
                if ("org.relayguard".equals(text(dependency, "groupId")) && artifact.startsWith("relayguard-")) {
                    String target = artifact.substring("relayguard-".length());
                    assertThat(modules).as(module + " depends on " + artifact).contains(target);
                    edges.add(module + " -> " + target);
                }
            }
        }
        return edges;
    }

    private static Document pom(Path folder) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(folder.resolve("pom.xml").toFile());
    }

    private static List<String> childTexts(Element parent, String list, String item) {
        return children(child(parent, list), item).stream().map(Node::getTextContent).map(String::trim).collect(Collectors.toList());
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        if (parent == null) {
            return List.of();
        }
        NodeList nodes = parent.getChildNodes();
        return IntStream.range(0, nodes.getLength())
            .mapToObj(nodes::item)
            .filter(node -> node instanceof Element && name.equals(node.getNodeName()))
            .map(Element.class::cast)
            .collect(Collectors.toList());
    }

    private static String text(Element parent, String name) {
        Element found = child(parent, name);
        return found == null ? "" : found.getTextContent().trim();
    }
}
