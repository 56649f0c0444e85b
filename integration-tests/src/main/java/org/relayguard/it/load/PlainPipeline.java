package org.relayguard.it.load;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.relayguard.it.JamesServer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The gateway without Relay Guard, the baseline of the load comparison, derived at run time from
 * the shipped hardened {@code mailetcontainer.xml}: the root processor's Microsoft 365 routing (the
 * {@code m365-traffic} matcher and the mailet that sends matching mail to {@code m365_mail}) is
 * removed, and so are the {@code m365_*} processors it led to. Every mail then goes from the root
 * processor straight to {@code transport}, as in a James that never had Relay Guard; the rest of the
 * file (transport, RemoteDelivery, repositories, spooler threads) is the shipped one. The file is
 * rewritten with the settings entities expanded, which James reads the same way.
 */
public final class PlainPipeline {
    private static final String ROUTING = "m365-traffic";
    private static final String RELAY_GUARD_PROCESSORS = "m365_";
    private static final int SHIPPED_RELAY_GUARD_PROCESSORS = 8;

    private PlainPipeline() {
    }

    /** Rewrites the {@code mailetcontainer.xml} of a prepared, not yet started gateway. */
    public static void apply(JamesServer james) throws IOException {
        Path file = james.conf("mailetcontainer.xml");
        Files.writeString(file, derive(Files.readString(file, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    static String derive(String hardened) {
        Document document = parse(hardened);
        Element root = processors(document).stream()
            .filter(processor -> processor.getAttribute("state").equals("root"))
            .findFirst()
            .orElseThrow(() -> changed("no root processor"));
        removeExactlyOne(root, "matcher", "name", ROUTING);
        removeExactlyOne(root, "mailet", "match", ROUTING);
        List<Element> relayGuardProcessors = new ArrayList<>();
        for (Element processor : processors(document)) {
            if (processor.getAttribute("state").startsWith(RELAY_GUARD_PROCESSORS)) {
                relayGuardProcessors.add(processor);
            }
        }
        if (relayGuardProcessors.size() != SHIPPED_RELAY_GUARD_PROCESSORS) {
            throw changed(relayGuardProcessors.size() + " m365_* processors instead of " + SHIPPED_RELAY_GUARD_PROCESSORS);
        }
        relayGuardProcessors.forEach(processor -> processor.getParentNode().removeChild(processor));
        // Comments mean nothing to James; the shipped ones quote Relay Guard's opt-in recipes.
        removeComments(document.getDocumentElement());
        String plain = serialise(document);
        if (plain.contains("org.relayguard")) {
            throw changed("Relay Guard classes are still referenced");
        }
        return plain;
    }

    private static void removeComments(Node node) {
        Node child = node.getFirstChild();
        while (child != null) {
            Node next = child.getNextSibling();
            if (child.getNodeType() == Node.COMMENT_NODE) {
                node.removeChild(child);
            } else {
                removeComments(child);
            }
            child = next;
        }
    }

    private static List<Element> processors(Document document) {
        NodeList nodes = document.getElementsByTagName("processor");
        List<Element> processors = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element element = (Element) nodes.item(i);
            if (element.hasAttribute("state")) {
                processors.add(element);
            }
        }
        return processors;
    }

    private static void removeExactlyOne(Element processor, String tag, String attribute, String value) {
        List<Node> found = new ArrayList<>();
        for (Node child = processor.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element && ((Element) child).getTagName().equals(tag) && ((Element) child).getAttribute(attribute).equals(value)) {
                found.add(child);
            }
        }
        if (found.size() != 1) {
            throw changed(found.size() + " <" + tag + " " + attribute + "=\"" + value + "\"> in the root processor instead of one");
        }
        processor.removeChild(found.get(0));
    }

    private static IllegalStateException changed(String what) {
        return new IllegalStateException("the shipped mailetcontainer.xml changed (" + what + "): update PlainPipeline");
    }

    private static Document parse(String xml) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalStateException("cannot read mailetcontainer.xml", e);
        }
    }

    private static String serialise(Document document) {
        try {
            StringWriter xml = new StringWriter();
            javax.xml.transform.Transformer transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            transformer.transform(new DOMSource(document), new StreamResult(xml));
            return xml.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }
}
