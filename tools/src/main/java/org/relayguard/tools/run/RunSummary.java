package org.relayguard.tools.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What {@code ./run.sh} prints once James is up: where the server root, settings, extension, listeners,
 * certificate, webadmin, quarantine and logs are, where mail is relayed to, and how to read the
 * quarantine. A setting is the environment's value, else the default written in the conf file
 * ({@code ${env:NAME:-default}}), as James takes it.
 *
 * <p>Usage: {@code RunSummary ROOT SERVER PROFILE MODE}, from the checkout (paths are shown relative
 * to it).</p>
 */
public final class RunSummary {
    private static final Pattern ENTITY_REFERENCE = Pattern.compile("&([\\w.-]+);");

    private final Path root;
    private final String server;
    private final String profile;
    private final String mode;
    private final Function<String, String> environment;
    private final Path checkout;

    public RunSummary(Path root, String server, String profile, String mode, Function<String, String> environment, Path checkout) {
        this.root = root;
        this.server = server;
        this.profile = profile;
        this.mode = mode;
        this.environment = environment;
        this.checkout = checkout;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: RunSummary ROOT SERVER PROFILE MODE");
            System.exit(2);
        }
        Map<String, String> env = System.getenv();
        System.out.print(new RunSummary(Path.of(args[0]), args[1], args[2], args[3], env::get,
            Path.of("").toAbsolutePath()).text());
    }

    /** The summary, as run.sh prints it. */
    public String text() throws IOException {
        String webadmin = "http://127.0.0.1:" + setting("RELAYGUARD_WEBADMIN_PORT", null).orElse("8000");
        String quarantineUrl = webadmin + "/mailRepositories/var%2Fmail%2Fm365-relaydeny/mails";
        return String.join("\n",
            "",
            "Relay Guard is running on Apache James 3.8.1: " + profile + " profile, " + mode + " mode.",
            "  Server root  " + root + " (state: var/, queues var/store/artemis, domains var/store/derby)",
            "  Settings     " + root + "/conf/mailetcontainer.xml (RELAY GUARD SETTINGS block; restart to apply)",
            "  Extension    " + root + "/extensions-jars/ (" + extensionJars() + ")",
            "  SMTP         " + setting("RELAYGUARD_SMTP_BIND", null).orElse("see conf/smtpserver.xml")
                + " (PROXY protocol: " + setting("RELAYGUARD_SMTP_PROXY_BIND", null).orElse("see conf") + "), STARTTLS",
            "  Certificate  " + certificate(),
            "  Webadmin     " + webadmin,
            "  Quarantine   " + Optional.ofNullable(environment.apply("RELAYGUARD_QUARANTINE")).filter(v -> !v.isEmpty())
                .orElse(root + "/var/mail/m365-relaydeny/"),
            "  Log          " + root + "/logs/james.log, rotated (decisions: " + root + "/logs/relayguard-decisions.log)",
            "  Relays to    M365: " + m365RelaysTo() + ", internet: " + relaysTo("RELAYGUARD_OUTBOUND_GATEWAY"),
            "Webadmin needs a token (RELAYGUARD_WEBADMIN_JWT=false turns that off); the review page " + webadmin
                + "/relayguard/review/ asks for it.",
            "List the quarantine, or report on it (groups, suggestions; add ?whatIf=ORG to test a value):",
            "  TOKEN=$(RELAYGUARD_ROOT=" + root + " " + server + "/bin/relayguard-token)",
            "  curl -s -H \"Authorization: Bearer $TOKEN\" " + quarantineUrl,
            "  curl -s -H \"Authorization: Bearer $TOKEN\" " + webadmin + "/relayguard/quarantine/var%2Fmail%2Fm365-relaydeny/report",
            "Ctrl-C stops James.",
            "");
    }

    private String extensionJars() throws IOException {
        try (Stream<Path> jars = Files.list(root.resolve("extensions-jars"))) {
            return jars.map(jar -> jar.getFileName().toString()).sorted().collect(Collectors.joining(" "));
        }
    }

    /** Owner and issuer of the certificate the listeners present. */
    private String certificate() throws IOException {
        Optional<Path> file = setting("RELAYGUARD_TLS_CERT", "smtpserver.xml")
            .map(value -> value.startsWith("/") ? Path.of(value) : root.resolve(value));
        if (file.isEmpty() || !Files.isReadable(file.get())) {
            return "see conf/smtpserver.xml";
        }
        String shown = file.get().startsWith(checkout) ? checkout.relativize(file.get()).toString() : file.get().toString();
        try (InputStream pem = Files.newInputStream(file.get())) {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem);
            String owner = certificate.getSubjectX500Principal().toString();
            String issuer = certificate.getIssuerX500Principal().toString();
            return owner.equals(issuer)
                ? owner + ", self-signed (" + shown + ")"
                : owner + ", issued by " + issuer + " (" + shown + ")";
        } catch (CertificateException | ClassCastException e) {
            return shown + " (unreadable: James will say why)";
        }
    }

    private String relaysTo(String name) throws IOException {
        return setting(name, "mailetcontainer.xml").filter(value -> !value.isEmpty()).orElse("MX lookup");
    }

    /** The shipped tenant's smart host follows RELAYGUARD_M365_SMARTHOST; a description of your own names each. */
    private String m365RelaysTo() throws IOException {
        if (Files.readString(root.resolve("conf/mailetcontainer.xml"), StandardCharsets.UTF_8).contains("${env:RELAYGUARD_M365_SMARTHOST")) {
            return relaysTo("RELAYGUARD_M365_SMARTHOST");
        }
        return "each tenant's smarthost (entity tenants)";
    }

    /** The environment's value, else the default the conf file gives (none when no file is named). */
    private Optional<String> setting(String name, String confFile) throws IOException {
        String value = environment.apply(name);
        if (value != null && !value.isEmpty()) {
            return Optional.of(value);
        }
        return confFile == null ? Optional.empty() : confDefault(root.resolve("conf").resolve(confFile), name);
    }

    /** The default of {@code ${env:NAME:-default}} in a conf file, an XML entity ({@code &name;}) resolved. */
    static Optional<String> confDefault(Path file, String name) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Matcher setting = Pattern.compile("\\$\\{env:" + Pattern.quote(name) + ":-([^}]*)}").matcher(text);
        if (!setting.find()) {
            return Optional.empty();
        }
        String value = setting.group(1);
        Matcher entity = ENTITY_REFERENCE.matcher(value);
        if (entity.matches()) {
            Matcher declaration = Pattern.compile("<!ENTITY " + Pattern.quote(entity.group(1)) + " \"([^\"]*)\"").matcher(text);
            value = declaration.find() ? declaration.group(1) : "";
        }
        return Optional.of(value);
    }
}
