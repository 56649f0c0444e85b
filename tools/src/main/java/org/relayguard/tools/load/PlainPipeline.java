package org.relayguard.tools.load;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.relayguard.tools.harness.JamesServer;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The gateway without Relay Guard, the baseline of the load comparison, derived at run time from
 * the shipped configuration. In {@code mailetcontainer.xml}: the root processor's Microsoft 365
 * routing (the {@code m365-traffic} matcher and the mailet that routes on it) and its removal of
 * the secret header are taken out, and so are all the {@code m365_*} processors they led to;
 * {@code TenantDelivery} becomes the James {@code RemoteDelivery} it runs for the shipped tenant
 * (same smart host, queue and parameters), and {@code InternetDelivery} James's {@code RemoteDelivery}
 * (one connection per mail on both routes, as a James without Relay Guard delivers); in {@code smtpserver.xml}, Relay Guard's SMTP handler. Every mail then goes from the root processor
 * straight to {@code transport}, as in a James that never had Relay Guard; everything else
 * (transport, RemoteDelivery, repositories, spooler threads, listeners) is the shipped
 * configuration. The files are rewritten with the settings entities expanded, which James reads
 * the same way.
 */
public final class PlainPipeline {
    private static final String RELAY_GUARD_PACKAGE = "org.relayguard";
    private static final String ROUTING = "m365-traffic";
    private static final String RELAY_GUARD_PROCESSORS = "m365_";
    private static final String TENANT_DELIVERY = "org.relayguard.mailets.TenantDelivery";
    private static final String INTERNET_DELIVERY = "org.relayguard.mailets.InternetDelivery";
    /** Which of our delivery mailets delivers: James's RemoteDelivery has no such parameter. */
    private static final String DELIVERY = "delivery";
    /** The shipped description: one tenant, its name and its smart host. */
    private static final Pattern LONE_TENANT = Pattern.compile("\\s*([a-z0-9-]+)\\s*:[^|]*?\\bsmarthost\\s+([^;|\\s]+)[^|]*");

    private PlainPipeline() {
    }

    /** Rewrites the configuration of a prepared, not yet started gateway. */
    public static void apply(JamesServer james) throws IOException {
        rewrite(james.conf("mailetcontainer.xml"), PlainPipeline::withoutRelayGuardProcessing);
        rewrite(james.conf("smtpserver.xml"), PlainPipeline::withoutRelayGuardHandler);
    }

    private interface Change {
        void apply(Document document);
    }

    private static void rewrite(Path file, Change change) throws IOException {
        Document document = parse(Files.readString(file, StandardCharsets.UTF_8));
        change.apply(document);
        List<String> left = relayGuardReferences(document.getDocumentElement(), new ArrayList<>());
        if (!left.isEmpty()) {
            throw changed(file.getFileName() + " still refers to Relay Guard: " + left);
        }
        Files.writeString(file, serialise(document), StandardCharsets.UTF_8);
    }

    static void withoutRelayGuardProcessing(Document document) {
        Element root = processors(document).stream()
            .filter(processor -> processor.getAttribute("state").equals("root"))
            .findFirst()
            .orElseThrow(() -> changed("no root processor"));
        removeExactlyOne(root, "matcher", element -> element.getAttribute("name").equals(ROUTING), "the m365-traffic matcher");
        removeExactlyOne(root, "mailet", element -> element.getAttribute("match").equals(ROUTING), "the mailet routing on m365-traffic");
        // The root's only RemoveMimeHeader removes the secret header of Relay Guard's recipe.
        removeExactlyOne(root, "mailet", element -> element.getAttribute("class").equals("RemoveMimeHeader"), "the secret header's RemoveMimeHeader");
        List<Element> relayGuardProcessors = new ArrayList<>();
        for (Element processor : processors(document)) {
            if (processor.getAttribute("state").startsWith(RELAY_GUARD_PROCESSORS)) {
                relayGuardProcessors.add(processor);
            }
        }
        if (relayGuardProcessors.isEmpty()) {
            throw changed("no m365_* processor");
        }
        relayGuardProcessors.forEach(processor -> processor.getParentNode().removeChild(processor));
        NodeList mailets = document.getElementsByTagName("mailet");
        List<Element> tenantDeliveries = new ArrayList<>();
        for (int i = 0; i < mailets.getLength(); i++) {
            if (((Element) mailets.item(i)).getAttribute("class").equals(TENANT_DELIVERY)) {
                tenantDeliveries.add((Element) mailets.item(i));
            }
        }
        if (tenantDeliveries.isEmpty()) {
            throw changed("no " + TENANT_DELIVERY);
        }
        tenantDeliveries.forEach(PlainPipeline::asRemoteDelivery);
        List<Element> internetDeliveries = new ArrayList<>();
        for (int i = 0; i < mailets.getLength(); i++) {
            if (((Element) mailets.item(i)).getAttribute("class").equals(INTERNET_DELIVERY)) {
                internetDeliveries.add((Element) mailets.item(i));
            }
        }
        internetDeliveries.forEach(internetDelivery -> {
            withoutDeliveryChoice(internetDelivery);
            internetDelivery.setAttribute("class", "RemoteDelivery");
        });
    }

    /** James's RemoteDelivery, as a James without Relay Guard delivers, on either route. */
    private static void withoutDeliveryChoice(Element mailet) {
        NodeList choices = mailet.getElementsByTagName(DELIVERY);
        List<Node> found = new ArrayList<>();
        for (int i = 0; i < choices.getLength(); i++) {
            found.add(choices.item(i));
        }
        found.forEach(choice -> choice.getParentNode().removeChild(choice));
    }

    /** TenantDelivery of a lone tenant is James's RemoteDelivery with the tenant's smart host and queue. */
    private static void asRemoteDelivery(Element tenantDelivery) {
        NodeList children = tenantDelivery.getElementsByTagName("tenants");
        if (children.getLength() != 1) {
            throw changed("TenantDelivery without its tenants parameter");
        }
        Element tenants = (Element) children.item(0);
        Matcher lone = LONE_TENANT.matcher(tenants.getTextContent());
        if (!lone.matches()) {
            throw changed("TenantDelivery for other than one tenant: " + tenants.getTextContent().trim());
        }
        Document document = tenantDelivery.getOwnerDocument();
        Element outgoing = document.createElement("outgoing");
        outgoing.setTextContent("to-m365-" + lone.group(1));
        Element gateway = document.createElement("gateway");
        gateway.setTextContent(lone.group(2));
        tenantDelivery.replaceChild(outgoing, tenants);
        tenantDelivery.insertBefore(gateway, outgoing.getNextSibling());
        withoutDeliveryChoice(tenantDelivery);
        tenantDelivery.setAttribute("class", "RemoteDelivery");
    }

    static void withoutRelayGuardHandler(Document document) {
        NodeList handlers = document.getElementsByTagName("handler");
        List<Element> relayGuardHandlers = new ArrayList<>();
        for (int i = 0; i < handlers.getLength(); i++) {
            Element handler = (Element) handlers.item(i);
            if (handler.getAttribute("class").startsWith(RELAY_GUARD_PACKAGE)) {
                relayGuardHandlers.add(handler);
            }
        }
        relayGuardHandlers.forEach(handler -> handler.getParentNode().removeChild(handler));
    }

    /** Attributes naming a Relay Guard class and routes into a Relay Guard processor; comments do not count. */
    private static List<String> relayGuardReferences(Element element, List<String> found) {
        NamedNodeMap attributes = element.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            if (attributes.item(i).getNodeValue().contains(RELAY_GUARD_PACKAGE)) {
                found.add(attributes.item(i).getNodeValue());
            }
        }
        if (element.getTagName().equals("processor") && element.getTextContent().trim().startsWith(RELAY_GUARD_PROCESSORS)) {
            found.add("ToProcessor " + element.getTextContent().trim());
        }
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element) {
                relayGuardReferences((Element) child, found);
            }
        }
        return found;
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

    private static void removeExactlyOne(Element processor, String tag, Predicate<Element> which, String what) {
        List<Element> found = new ArrayList<>();
        for (Node child = processor.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element && ((Element) child).getTagName().equals(tag) && which.test((Element) child)) {
                found.add((Element) child);
            }
        }
        if (found.size() != 1) {
            throw changed(found.size() + " times " + what + " in the root processor instead of once");
        }
        processor.removeChild(found.get(0));
    }

    private static IllegalStateException changed(String what) {
        return new IllegalStateException("the shipped configuration changed (" + what + "): update PlainPipeline");
    }

    private static Document parse(String xml) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalStateException("cannot read the shipped configuration", e);
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
