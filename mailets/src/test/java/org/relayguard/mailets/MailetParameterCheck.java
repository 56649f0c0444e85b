package org.relayguard.mailets;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.StringReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.james.transport.mailets.redirect.RedirectNotify;
import org.apache.mailet.Mailet;
import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;
import org.apache.mailet.base.test.FakeMailContext;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Test support for {@link ShippedMailetParametersTest}: finds the {@code <mailet>} elements of a
 * James mailet container file, and tells which of their parameters the mailet never reads.
 *
 * <p>James 3.8.1 gives a mailet every child element of its {@code <mailet>} element as an init
 * parameter and says nothing about the ones the mailet does not know: a misspelt parameter is
 * silently ignored. The check therefore initialises each mailet with a {@link MailetConfig} that
 * records every {@code getInitParameter} call, and reports the configured names that were never
 * asked for.</p>
 */
final class MailetParameterCheck {

    /**
     * Read on every mailet's config by James's container itself, not by the mailet: James 3.8.1's
     * {@code ProcessorImpl} reads {@code onMailetException} when the mailet throws, and
     * {@code MatcherMailetPair.getOnMatchException} reads {@code onMatchException} when the
     * matcher throws. {@code GenericMailet.checkInitParameters} accepts both for the same reason.
     */
    static final Set<String> READ_BY_THE_CONTAINER = Set.of("onMailetException", "onMatchException");

    /** James's {@code GuiceMailetLoader}: a class name without a package is one of James's mailets. */
    private static final String STANDARD_PACKAGE = "org.apache.james.transport.mailets.";

    /** commons-configuration's interpolation of {@code ${env:NAME:-default}} with no such variable. */
    private static final Pattern ENV_WITH_DEFAULT = Pattern.compile("\\$\\{env:[^:}]+:-([^}]*)}");

    private MailetParameterCheck() {
    }

    /** One {@code <mailet>} element: where it is, its class attribute, and its init parameters. */
    static final class ConfiguredMailet {
        final String where;
        final String className;
        final Map<String, String> parameters;

        ConfiguredMailet(String where, String className, Map<String, String> parameters) {
            this.where = where;
            this.className = className;
            this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }

        @Override
        public String toString() {
            return where + " " + className + " " + parameters.keySet();
        }
    }

    /** What the check found for one mailet. */
    static final class Result {
        final ConfiguredMailet mailet;
        final Set<String> unread;
        final Optional<Throwable> initFailure;

        private Result(ConfiguredMailet mailet, Set<String> unread, Optional<Throwable> initFailure) {
            this.mailet = mailet;
            this.unread = Collections.unmodifiableSet(unread);
            this.initFailure = initFailure;
        }

        boolean isClean() {
            return unread.isEmpty() && initFailure.isEmpty();
        }

        String problem() {
            if (initFailure.isPresent()) {
                return mailet + ": init() failed: " + causes(initFailure.get());
            }
            return mailet + ": the mailet never reads " + unread;
        }

        private static String causes(Throwable failure) {
            List<String> messages = new ArrayList<>();
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                messages.add(cause.getClass().getSimpleName() + ": " + cause.getMessage());
            }
            return String.join(" <- ", messages);
        }
    }

    /**
     * The {@code <mailet class="...">} elements of a mailet container document (or of any XML
     * fragment holding them), as James 3.8.1 would configure them without environment variables:
     * internal entities ({@code &tenantOrgs;}) expanded by the parser, then
     * {@code ${env:NAME:-default}} replaced by its default. XML comments are not elements, so
     * commented-out mailets are not found.
     */
    static List<ConfiguredMailet> parse(String source, String xml) {
        Document document = document(xml);
        NodeList elements = document.getElementsByTagName("mailet");
        List<ConfiguredMailet> mailets = new ArrayList<>();
        for (int i = 0; i < elements.getLength(); i++) {
            Element mailet = (Element) elements.item(i);
            if (!mailet.hasAttribute("class")) {
                continue;
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            addParameters(mailet, "", parameters);
            mailets.add(new ConfiguredMailet(
                source + ", processor " + processorOf(mailet) + ", mailet #" + (indexInParent(mailet) + 1),
                mailet.getAttribute("class").trim(),
                parameters));
        }
        return mailets;
    }

    private static Document document(String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            // The internal DTD subset is the point (the files' settings are entities); nothing
            // external is loaded.
            factory.setExpandEntityReferences(true);
            factory.setIgnoringComments(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalArgumentException("Cannot parse the mailet container XML: " + e.getMessage(), e);
        }
    }

    /**
     * James's {@code MailetConfigImpl}: the parameter names are the keys of the mailet element's
     * configuration without its attributes; a nested element is {@code parent.child}; repeated
     * elements give one value joined with commas. Values are trimmed, as commons-configuration does.
     */
    private static void addParameters(Element parent, String prefix, Map<String, String> parameters) {
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child.getNodeType() != Node.ELEMENT_NODE) {
                continue;
            }
            Element element = (Element) child;
            String name = prefix + element.getTagName();
            if (hasElementChildren(element)) {
                addParameters(element, name + ".", parameters);
            } else {
                String value = interpolate(element.getTextContent().trim());
                parameters.merge(name, value, (first, next) -> first + "," + next);
            }
        }
    }

    private static boolean hasElementChildren(Element element) {
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child.getNodeType() == Node.ELEMENT_NODE) {
                return true;
            }
        }
        return false;
    }

    static String interpolate(String value) {
        Matcher matcher = ENV_WITH_DEFAULT.matcher(value);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(result, Matcher.quoteReplacement(matcher.group(1)));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private static String processorOf(Element mailet) {
        for (Node node = mailet.getParentNode(); node instanceof Element; node = node.getParentNode()) {
            Element element = (Element) node;
            if (element.getTagName().equals("processor")) {
                return "'" + element.getAttribute("state") + "'";
            }
        }
        return "(none)";
    }

    private static int indexInParent(Element mailet) {
        int index = 0;
        for (Node node = mailet.getPreviousSibling(); node != null; node = node.getPreviousSibling()) {
            if (node instanceof Element && ((Element) node).getTagName().equals("mailet")) {
                index++;
            }
        }
        return index;
    }

    /**
     * Instantiates the mailet, initialises it with a recording config and reports the configured
     * parameters it never asked for, apart from {@link #READ_BY_THE_CONTAINER}. A mailet whose
     * {@code init()} refuses the configuration is reported too (Bounce, DSNBounce, LogDecision
     * and SwitchableNull refuse names they do not know).
     *
     * <p>Bounce and DSNBounce ({@link RedirectNotify}) read most parameters when a mail comes,
     * through {@code getInitParameters()}, not in {@code init()}: after {@code init()} the check
     * asks their {@code InitParameters} for every value once. That also reads names Bounce ignores
     * ({@code to}, {@code replyTo}...), but both mailets refuse in {@code init()} any name outside
     * their own list, so an unknown name still fails.</p>
     */
    static Result check(ConfiguredMailet configured) {
        RecordingMailetConfig config = new RecordingMailetConfig(configured.className, configured.parameters, FakeMailContext.defaultContext());
        Mailet mailet;
        try {
            mailet = new Fakes().instantiate(configured.className);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return new Result(configured, Set.of(), Optional.of(e));
        }
        try {
            mailet.init(config);
        } catch (Exception e) {
            return new Result(configured, Set.of(), Optional.of(e));
        }
        try {
            if (mailet instanceof RedirectNotify) {
                ((RedirectNotify) mailet).getInitParameters().asString();
            }
        } finally {
            mailet.destroy();
        }
        Set<String> unread = configured.parameters.keySet().stream()
            .filter(name -> !READ_BY_THE_CONTAINER.contains(name))
            .filter(name -> !config.read().contains(name))
            .collect(Collectors.toCollection(LinkedHashSet::new));
        return new Result(configured, unread, Optional.empty());
    }

    /**
     * Every parameter name the mailet asks for in {@code init()} with this configuration, whether
     * it is configured or not: what the mailet reads. For ReferenceParametersTest, which compares
     * it with the parameters docs/reference.md lists. Fails when {@code init()} refuses the
     * configuration.
     */
    static Set<String> readParameters(ConfiguredMailet configured) throws Exception {
        RecordingMailetConfig config = new RecordingMailetConfig(configured.className, configured.parameters, FakeMailContext.defaultContext());
        Mailet mailet = new Fakes().instantiate(configured.className);
        mailet.init(config);
        mailet.destroy();
        return config.read();
    }

    /** RemoteDelivery hands its {@code mail.*} parameters to javax.mail as session properties. */
    private static final String JAVAMAIL_SMTP_PREFIX = "mail.smtp";
    /** The javax.mail 1.6 classes that read the SMTP transport's properties, each as {@code "mail." + protocol + SUFFIX}. */
    private static final List<String> JAVAMAIL_SMTP_READERS = List.of(
        "com/sun/mail/smtp/SMTPTransport.class", "com/sun/mail/util/SocketFetcher.class");

    /**
     * The {@code mail.smtp.*} parameters of a RemoteDelivery that javax.mail never reads.
     * RemoteDelivery reads every {@code mail.*} parameter (it passes them all to javax.mail), so
     * {@link #check} cannot see a misspelt one, and javax.mail ignores a property it does not know:
     * {@code mail.smtp.starttls.requried} would quietly allow clear text. javax.mail builds each
     * name as {@code "mail." + protocol + ".starttls.required"}, so the suffix must be one of the
     * string constants of the classes that read them.
     */
    static Set<String> unknownJavaMailProperties(ConfiguredMailet configured) {
        Set<String> constants = javaMailSmtpStrings();
        return configured.parameters.keySet().stream()
            .filter(name -> name.startsWith(JAVAMAIL_SMTP_PREFIX + "."))
            .filter(name -> !constants.contains(name.substring(JAVAMAIL_SMTP_PREFIX.length())))
            .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** The string constants of the javax.mail classes that read SMTP properties. */
    private static Set<String> javaMailSmtpStrings() {
        Set<String> strings = new LinkedHashSet<>();
        for (String classFile : JAVAMAIL_SMTP_READERS) {
            try (InputStream in = javax.mail.Session.class.getClassLoader().getResourceAsStream(classFile)) {
                if (in == null) {
                    throw new IllegalStateException("javax.mail class not found: " + classFile);
                }
                strings.addAll(ClassConstants.utf8(in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return strings;
    }

    /** The init parameters of one mailet element, remembering which names the mailet asked for. */
    static final class RecordingMailetConfig implements MailetConfig {
        private final String mailetName;
        private final Map<String, String> parameters;
        private final MailetContext context;
        private final Set<String> read = Collections.synchronizedSet(new LinkedHashSet<>());

        RecordingMailetConfig(String mailetName, Map<String, String> parameters, MailetContext context) {
            this.mailetName = mailetName;
            this.parameters = Map.copyOf(parameters);
            this.context = context;
        }

        @Override
        public String getInitParameter(String name) {
            read.add(name);
            return parameters.get(name);
        }

        /** Listing the names reads none: a name counts once its value is asked for. */
        @Override
        public Iterator<String> getInitParameterNames() {
            return List.copyOf(parameters.keySet()).iterator();
        }

        @Override
        public MailetContext getMailetContext() {
            return context;
        }

        @Override
        public String getMailetName() {
            return mailetName;
        }

        Set<String> read() {
            synchronized (read) {
                return Set.copyOf(read);
            }
        }
    }

    /**
     * Builds mailets as James's Guice loader does (the {@code @Inject} constructor, otherwise the
     * no-argument one), with fakes for the services they take. RemoteDelivery and TenantDelivery
     * (one RemoteDelivery per tenant) get their {@code DO_NOT_START_THREADS} constructor: their
     * {@code init()} is otherwise the one James runs, but no delivery thread ever starts.
     * TenantDelivery hands each RemoteDelivery a view of its own configuration that reads a
     * parameter only when RemoteDelivery asks for it, so a parameter counts as read only if
     * RemoteDelivery really reads it.
     */
    static final class Fakes {
        private final DNSService dns = mock(DNSService.class);
        private final DomainList domainList = domainList();
        private final MailQueueFactory<MailQueue> queues = new FakeMailQueueFactory();
        private final MetricFactory metrics = new RecordingMetricFactory();
        private final MailRepositoryStore repositories = mock(MailRepositoryStore.class);

        private static DomainList domainList() {
            DomainList domainList = mock(DomainList.class);
            try {
                // RemoteDelivery's default HELO name
                when(domainList.getDefaultDomain()).thenReturn(Domain.of("relayguard.example"));
            } catch (DomainListException e) {
                throw new IllegalStateException(e);
            }
            return domainList;
        }

        Mailet instantiate(String className) throws ReflectiveOperationException {
            Class<? extends Mailet> mailetClass = load(className);
            if (mailetClass == RemoteDelivery.class) {
                return new RemoteDelivery(dns, domainList, queues, metrics, RemoteDelivery.ThreadState.DO_NOT_START_THREADS);
            }
            if (mailetClass == PooledDelivery.class) {
                return new PooledDelivery(DeliveryServices.queueOnly(dns, domainList, queues, metrics));
            }
            if (mailetClass == InternetDelivery.class) {
                return new InternetDelivery(DeliveryServices.queueOnly(dns, domainList, queues, metrics));
            }
            if (mailetClass == TenantDelivery.class) {
                return new TenantDelivery(DeliveryServices.queueOnly(dns, domainList, queues, metrics));
            }
            Constructor<?> constructor = injectionConstructor(mailetClass);
            Object[] arguments = Arrays.stream(constructor.getParameterTypes())
                .map(this::fake)
                .toArray();
            constructor.setAccessible(true);
            try {
                return (Mailet) constructor.newInstance(arguments);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("Cannot construct " + className, e.getCause());
            }
        }

        private static Class<? extends Mailet> load(String className) throws ClassNotFoundException {
            ClassNotFoundException notFound;
            try {
                return Class.forName(className).asSubclass(Mailet.class);
            } catch (ClassNotFoundException e) {
                notFound = e;
            }
            try {
                return Class.forName(STANDARD_PACKAGE + className).asSubclass(Mailet.class);
            } catch (ClassNotFoundException e) {
                e.addSuppressed(notFound);
                throw e;
            }
        }

        private static Constructor<?> injectionConstructor(Class<?> mailetClass) throws NoSuchMethodException {
            List<Constructor<?>> injected = Arrays.stream(mailetClass.getDeclaredConstructors())
                .filter(constructor -> constructor.isAnnotationPresent(Inject.class))
                .collect(Collectors.toList());
            if (injected.size() > 1) {
                throw new IllegalStateException(mailetClass + " has more than one @Inject constructor");
            }
            if (injected.size() == 1) {
                return injected.get(0);
            }
            return mailetClass.getDeclaredConstructor();
        }

        private Object fake(Class<?> type) {
            if (type == DNSService.class) {
                return dns;
            }
            if (type == DomainList.class) {
                return domainList;
            }
            if (type == MailQueueFactory.class) {
                return queues;
            }
            if (type == MetricFactory.class) {
                return metrics;
            }
            if (type == MailRepositoryStore.class) {
                return repositories;
            }
            throw new IllegalStateException("No fake for constructor parameter " + type.getName()
                + ": add one to " + Fakes.class.getName());
        }
    }

    /** Hands out a mock queue for any name; RemoteDelivery creates its queue in {@code init()}. */
    private static final class FakeMailQueueFactory implements MailQueueFactory<MailQueue> {
        private final Map<MailQueueName, MailQueue> queues = new LinkedHashMap<>();

        @Override
        public Optional<MailQueue> getQueue(MailQueueName name, PrefetchCount count) {
            return Optional.ofNullable(queues.get(name));
        }

        @Override
        public MailQueue createQueue(MailQueueName name, PrefetchCount count) {
            return queues.computeIfAbsent(name, any -> mock(MailQueue.class));
        }

        @Override
        public Set<MailQueueName> listCreatedMailQueues() {
            return Set.copyOf(queues.keySet());
        }
    }
}
