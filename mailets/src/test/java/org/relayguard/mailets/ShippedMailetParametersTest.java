package org.relayguard.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.relayguard.mailets.MailetParameterCheck.ConfiguredMailet;
import org.relayguard.mailets.MailetParameterCheck.Result;

/**
 * The shipped mailet container files configure no parameter that its mailet ignores.
 *
 * <p>Why: James 3.8.1 hands a mailet every child element of its {@code <mailet>} element and
 * says nothing about the ones the mailet does not read. The shipped configuration once gave
 * {@code RemoteDelivery} an {@code <outgoingQueue>} (its parameter is {@code outgoing}): James
 * ignored it, both RemoteDelivery mailets used the default queue {@code outgoing}, and each took
 * the other's mail. This test initialises every mailet of both profiles (and of the opt-in SECRET
 * HEADER block, which operators enable) with its configured parameters and fails on any
 * parameter the mailet never asks for; see {@link MailetParameterCheck}.</p>
 */
class ShippedMailetParametersTest {
    /**
     * The profiles' sources in the james-conf module, from which its build makes the shipped
     * mailetcontainer.xml files; surefire sets {@code basedir} to this module's directory.
     */
    private static final Path PROFILES = Path.of(System.getProperty("basedir", "."))
        .resolve(Path.of("..", "james-conf", "src", "main", "mailetcontainer"))
        .normalize();
    private static final String HARDENED = "hardened.xml";
    private static final String PROOFPOINT = "proofpoint.xml";
    /** The line of a profile's source that the build replaces with the shared processors. */
    private static final String SHARED_PROCESSORS = "<!-- SHARED PROCESSORS: the build puts shared-processors.xml here -->";

    /** The opt-in recipe is enabled by deleting these two lines of the hardened file. */
    private static final Pattern SECRET_HEADER_BEGIN = Pattern.compile("\\s*<!--\\s*SECRET HEADER BEGIN\\s*");
    private static final Pattern SECRET_HEADER_END = Pattern.compile("\\s*SECRET HEADER END\\s*-->\\s*");
    /** The From: binding recipe: these two lines, in each of the two processors that hold it. */
    private static final Pattern FROM_BINDING_BEGIN = Pattern.compile("\\s*<!--\\s*FROM BINDING BEGIN\\s*");
    private static final Pattern FROM_BINDING_END = Pattern.compile("\\s*FROM BINDING END\\s*-->\\s*");

    static Stream<ShippedConfiguration> shippedConfigurations() throws IOException {
        return Stream.of(
            new ShippedConfiguration(HARDENED, read(HARDENED)),
            new ShippedConfiguration(HARDENED + " with the SECRET HEADER block enabled", withSecretHeaderEnabled(read(HARDENED))),
            new ShippedConfiguration(HARDENED + " with the FROM BINDING blocks enabled", withFromBindingEnabled(read(HARDENED))),
            new ShippedConfiguration(PROOFPOINT, read(PROOFPOINT)));
    }

    /**
     * Every child element of every {@code <mailet>} in the shipped files is a parameter that the
     * mailet reads (or one James's container reads on every mailet: {@code onMailetException},
     * {@code onMatchException}), and every mailet accepts its configuration in {@code init()}.
     * A misspelt or obsolete parameter would otherwise be ignored by James without a word.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedConfigurations")
    void everyParameterOfEveryShippedMailetIsOneTheMailetReads(ShippedConfiguration configuration) {
        List<ConfiguredMailet> mailets = MailetParameterCheck.parse(configuration.name, configuration.xml);

        List<String> problems = mailets.stream()
            .map(MailetParameterCheck::check)
            .filter(result -> !result.isClean())
            .map(Result::problem)
            .collect(Collectors.toList());

        assertThat(mailets).as("mailets found in %s", configuration.name).isNotEmpty();
        assertThat(problems).as("mailets of %s with a parameter James would ignore", configuration.name).isEmpty();
    }

    /**
     * RemoteDelivery passes every {@code mail.*} parameter to javax.mail, which ignores a property
     * it does not know: the TLS policy of each route rests on these names being exact.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedConfigurations")
    void everyJavaMailPropertyOfEveryShippedRemoteDeliveryIsOneJavaMailReads(ShippedConfiguration configuration) {
        List<ConfiguredMailet> deliveries = MailetParameterCheck.parse(configuration.name, configuration.xml).stream()
            // TenantDelivery hands its parameters to one delivery mailet per tenant, InternetDelivery to its one.
            .filter(mailet -> mailet.className.equals("RemoteDelivery") || mailet.className.equals(TenantDelivery.class.getName())
                || mailet.className.equals(InternetDelivery.class.getName()))
            .collect(Collectors.toList());

        assertThat(deliveries).as("RemoteDelivery and TenantDelivery mailets of %s", configuration.name).hasSize(2);
        assertThat(deliveries).as("javax.mail properties given").allSatisfy(delivery ->
            assertThat(delivery.parameters.keySet()).anyMatch(name -> name.startsWith("mail.smtp.")));
        assertThat(deliveries.stream().flatMap(delivery -> MailetParameterCheck.unknownJavaMailProperties(delivery).stream()))
            .as("javax.mail properties that javax.mail never reads")
            .isEmpty();
    }

    /** The javax.mail check can fail: a misspelt property is reported, the real ones are not. */
    @Test
    void aMisspeltJavaMailPropertyIsReported() {
        List<ConfiguredMailet> mailets = MailetParameterCheck.parse("misspelt", "<processor state=\"to_m365\">"
            + "<mailet match=\"All\" class=\"RemoteDelivery\">"
            + "<outgoing>to-m365</outgoing>"
            + "<startTLS>true</startTLS>"
            + "<mail.smtp.starttls.requried>true</mail.smtp.starttls.requried>"
            + "<mail.smtp.ssl.protocols>TLSv1.2 TLSv1.3</mail.smtp.ssl.protocols>"
            + "<mail.smtp.ssl.trust>*</mail.smtp.ssl.trust>"
            + "</mailet></processor>");

        assertThat(MailetParameterCheck.check(mailets.get(0)).isClean()).as("RemoteDelivery reads every mail.* name").isTrue();
        assertThat(MailetParameterCheck.unknownJavaMailProperties(mailets.get(0))).containsExactly("mail.smtp.starttls.requried");
    }

    /**
     * The SECRET HEADER recipe sits in an XML comment, where a parser sees no mailet; operators
     * enable it by deleting its two marker lines, so the check must see its mailets too.
     */
    @Test
    void theCommentedOutSecretHeaderBlockIsCheckedToo() throws IOException {
        String hardened = read(HARDENED);

        assertThat(MailetParameterCheck.parse(HARDENED, withSecretHeaderEnabled(hardened)))
            .as("mailets with the SECRET HEADER block enabled")
            .hasSizeGreaterThan(MailetParameterCheck.parse(HARDENED, hardened).size());
    }

    @Test
    void theCommentedOutFromBindingBlocksAreCheckedToo() throws IOException {
        String hardened = read(HARDENED);

        assertThat(MailetParameterCheck.parse(HARDENED, withFromBindingEnabled(hardened)))
            .as("mailets with the FROM BINDING blocks enabled")
            .hasSize(MailetParameterCheck.parse(HARDENED, hardened).size() + 2);
    }

    /**
     * TenantDelivery hands its parameters to one RemoteDelivery per tenant: a parameter counts as
     * read only if RemoteDelivery reads it, so a misspelt one is reported through TenantDelivery
     * too; the two it sets per tenant are refused.
     */
    @Test
    void aParameterTenantDeliveryHandsOnCountsOnlyIfRemoteDeliveryReadsIt() {
        List<ConfiguredMailet> mailets = MailetParameterCheck.parse("tenants", "<processor state=\"to_m365\">"
            + "<mailet match=\"All\" class=\"org.relayguard.mailets.TenantDelivery\">"
            + "<tenants>contoso: domains @domainlist; smarthost ${env:RELAYGUARD_M365_SMARTHOST:-mx.contoso.com}</tenants>"
            + "<maxRetries>126</maxRetries>"
            + "<mail.smtp.ssl.protocols>TLSv1.3</mail.smtp.ssl.protocols>"
            + "<delaytime>5000</delaytime>"
            + "</mailet>"
            + "<mailet match=\"All\" class=\"org.relayguard.mailets.TenantDelivery\">"
            + "<tenants>contoso: domains @domainlist; smarthost mx.contoso.com</tenants>"
            + "<gateway>mx.contoso.com</gateway>"
            + "</mailet></processor>");

        Result misspelt = MailetParameterCheck.check(mailets.get(0));
        assertThat(misspelt.initFailure).isEmpty();
        assertThat(misspelt.unread).containsExactly("delaytime");
        Result refused = MailetParameterCheck.check(mailets.get(1));
        assertThat(refused.problem()).contains("init() failed", "parameter 'gateway' is set per tenant");
    }

    /**
     * The check can fail: the very mistake that misrouted mail, RemoteDelivery with
     * {@code <outgoingQueue>}, is reported, while its real parameters and the container's
     * {@code onMailetException} are not.
     */
    @Test
    void aMisspeltParameterIsReportedAsUnread() {
        List<ConfiguredMailet> mailets = MailetParameterCheck.parse("misspelt", "<processor state=\"relay\">"
            + "<mailet match=\"All\" class=\"RemoteDelivery\">"
            + "<outgoingQueue>to-internet</outgoingQueue>"
            + "<gateway>${env:RELAYGUARD_OUTBOUND_GATEWAY:-smarthost.example:25}</gateway>"
            + "<maxRetries>126</maxRetries>"
            + "<onMailetException>ignore</onMailetException>"
            + "</mailet></processor>");

        assertThat(mailets).hasSize(1);
        Result result = MailetParameterCheck.check(mailets.get(0));
        assertThat(result.initFailure).isEmpty();
        assertThat(result.unread).containsExactly("outgoingQueue");
        assertThat(result.problem()).contains("RemoteDelivery", "never reads [outgoingQueue]");
    }

    /** A mailet that refuses an unknown parameter in {@code init()} is reported as well. */
    @Test
    void aParameterTheMailetRefusesIsReported() {
        List<ConfiguredMailet> mailets = MailetParameterCheck.parse("refused", "<processor state=\"relay-denied\">"
            + "<mailet match=\"All\" class=\"Bounce\"><attachement>none</attachement></mailet>"
            + "</processor>");

        Result result = MailetParameterCheck.check(mailets.get(0));

        assertThat(result.isClean()).isFalse();
        assertThat(result.problem()).contains("Bounce", "init() failed", "attachement");
    }

    /** A profile's mailetcontainer.xml as the james-conf build makes it (its pom.xml, antrun). */
    private static String read(String profile) throws IOException {
        String own = Files.readString(PROFILES.resolve(profile), StandardCharsets.UTF_8);
        assertThat(own).as("%s has the line for the shared processors", profile).contains(SHARED_PROCESSORS);
        String shared = Files.readString(PROFILES.resolve("shared-processors.xml"), StandardCharsets.UTF_8).strip();
        return own.replace(SHARED_PROCESSORS, shared);
    }

    /** The hardened file as an operator enables the recipe: its two marker lines deleted. */
    private static String withSecretHeaderEnabled(String xml) {
        List<String> lines = xml.lines().collect(Collectors.toList());
        int begin = onlyLineMatching(lines, SECRET_HEADER_BEGIN);
        int end = onlyLineMatching(lines, SECRET_HEADER_END);
        assertThat(begin).as("SECRET HEADER BEGIN before END").isLessThan(end);
        return IntStream.range(0, lines.size())
            .filter(index -> index != begin && index != end)
            .mapToObj(lines::get)
            .collect(Collectors.joining("\n", "", "\n"));
    }

    /** The hardened file as an operator enables the From: binding recipe: the marker lines of both blocks deleted. */
    private static String withFromBindingEnabled(String xml) {
        List<String> lines = xml.lines().collect(Collectors.toList());
        List<Integer> begins = linesMatching(lines, FROM_BINDING_BEGIN);
        List<Integer> ends = linesMatching(lines, FROM_BINDING_END);
        assertThat(begins).as("FROM BINDING blocks").hasSize(2);
        assertThat(ends).hasSameSizeAs(begins);
        return IntStream.range(0, lines.size())
            .filter(index -> !begins.contains(index) && !ends.contains(index))
            .mapToObj(lines::get)
            .collect(Collectors.joining("\n", "", "\n"));
    }

    private static List<Integer> linesMatching(List<String> lines, Pattern pattern) {
        return IntStream.range(0, lines.size())
            .filter(index -> pattern.matcher(lines.get(index)).matches())
            .boxed()
            .collect(Collectors.toList());
    }

    private static int onlyLineMatching(List<String> lines, Pattern pattern) {
        List<Integer> matching = IntStream.range(0, lines.size())
            .filter(index -> pattern.matcher(lines.get(index)).matches())
            .boxed()
            .collect(Collectors.toList());
        assertThat(matching).as("lines matching %s", pattern).hasSize(1);
        return matching.get(0);
    }

    static final class ShippedConfiguration {
        final String name;
        final String xml;

        ShippedConfiguration(String name, String xml) {
            this.name = name;
            this.xml = xml;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
