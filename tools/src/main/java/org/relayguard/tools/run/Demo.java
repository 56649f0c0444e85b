package org.relayguard.tools.run;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.Scenario;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.harness.WebAdmin;

/**
 * {@code ./run.sh --demo}: starts the gateway from the server root that run.sh laid out, sends it
 * every row of SPEC's decision table, and shows where each mail went, read back the way an operator
 * would: the quarantine through webadmin, relayed mail at the next hop. James keeps running
 * afterwards so that the quarantine can be explored with curl; Ctrl-C stops everything.
 *
 * <p>Every mail goes over STARTTLS, trusting the certificate James is configured with (run.sh's
 * self-signed one on a first start); the demo then says what was encrypted: its own sessions, and
 * James's deliveries to each next hop (verified TLS to the M365 smart host, opportunistic to the
 * internet one). One more mail, internet mail for one of our users, shows the M365 route.</p>
 *
 * <p>Demo only: James names loopback source addresses as Microsoft 365 hosts through a hosts file
 * ({@link JamesServer}'s {@code -Djdk.net.hosts.file}), and each RemoteDelivery route delivers to an
 * SMTP sinks in this process (one per route) instead of the internet and the M365 smart host; James
 * trusts the private CA of the M365 sink's certificate ({@code RELAYGUARD_SMARTHOST_CA}).</p>
 *
 * <p>The James settings come from the same environment variables James reads
 * ({@code RELAYGUARD_ENFORCE}, {@code RELAYGUARD_SMTP_BIND}, {@code RELAYGUARD_SMTP_PROXY_BIND},
 * {@code RELAYGUARD_WEBADMIN_PORT}), so that the demo expects what James is told to do.</p>
 */
public final class Demo {
    private static final String USAGE = "usage: Demo [--root DIR] [--proofpoint]";
    private static final String OUR_USER = "user@contoso.com";
    private static final String TO_OUR_USER = "INTERNET_MAIL_FOR_OUR_USER";
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(60);
    /** James 3.8.1's Received header: "from REMOTE-HOST (EHLO name) ([REMOTE-IP])". */
    private static final Pattern RECEIVED_FROM = Pattern.compile("^from (\\S+) \\((?:EHLO|HELO) [^)]*\\) \\(\\[([^]]+)]\\)");

    public static void main(String[] args) throws Exception {
        Path root = Path.of("run");
        JamesServer.Profile profile = JamesServer.Profile.HARDENED;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--root") && i + 1 < args.length) {
                root = Path.of(args[++i]);
            } else if (args[i].equals("--proofpoint")) {
                profile = JamesServer.Profile.PROOFPOINT;
            } else {
                System.err.println(USAGE);
                System.exit(2);
            }
        }
        root = root.toAbsolutePath().normalize();
        requireLoopbackSources();
        boolean enforce = Boolean.parseBoolean(env("RELAYGUARD_ENFORCE", "false"));

        NextHops hops = NextHops.start();
        JamesServer james = JamesServer.builder()
            .root(root)
            .profile(profile)
            .enforce(enforce)
            .nextHops(hops)
            .env("RELAYGUARD_SMTP_BIND", env("RELAYGUARD_SMTP_BIND", "127.0.0.1:2525"))
            .env("RELAYGUARD_SMTP_PROXY_BIND", env("RELAYGUARD_SMTP_PROXY_BIND", "127.0.0.1:2526"))
            .env("RELAYGUARD_WEBADMIN_PORT", env("RELAYGUARD_WEBADMIN_PORT", "8000"))
            // A trial on one's own machine: the curl commands below without a token. Said at the start.
            .env("RELAYGUARD_WEBADMIN_JWT", env("RELAYGUARD_WEBADMIN_JWT", "false"))
            // As an operator runs the distribution: bin/relayguard, James's log rotated in logs/.
            .launcher(List.of())
            .log(root.resolve("console.log"))
            .prepare();

        String mode = enforce ? "enforce" : "audit";
        System.out.printf("Relay Guard demo: %s profile, %s mode.%n", name(profile), mode);
        if (!Boolean.parseBoolean(james.environment().get("RELAYGUARD_WEBADMIN_JWT"))) {
            System.out.println("Webadmin authentication is OFF in the demo (RELAYGUARD_WEBADMIN_JWT=false); the shipped"
                + " configuration has it on: a token from bin/relayguard-token (docs/operator-guide.md).");
        }
        System.out.printf("Starting James 3.8.1 in %s (log: %s) ...%n", root, james.rotatedLog());
        Instant startedAt = Instant.now();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            boolean running = james.isRunning();
            if (running) {
                System.out.println("Stopping James ...");
            }
            james.stop();
            hops.close();
            if (running) {
                System.out.println("James stopped.");
            }
        }, "demo-exit"));
        try {
            james.start();
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
        System.out.printf("James started in %d s. Sending the %d rows of SPEC's decision table to 127.0.0.1:%d "
                + "(next hops: SMTP sinks on 127.0.0.1:%d for the internet, 127.0.0.1:%d for the M365 smart host) ...%n%n",
            Duration.between(startedAt, Instant.now()).toSeconds(), Scenario.values().length, james.smtpPort(),
            hops.internetPort(), hops.m365Port());

        WebAdmin webAdmin = james.webAdmin();
        Set<String> earlierQuarantine = new HashSet<>(webAdmin.mailKeys(JamesServer.QUARANTINE));
        Map<Scenario, String> refused = new LinkedHashMap<>();
        GatewayTls gatewayTls = GatewayTls.of(root);
        Set<String> sessions = new LinkedHashSet<>();
        int expectedRelayed = 0;
        for (Scenario scenario : Scenario.values()) {
            try (SmtpClient client = scenario.connect(james)) {
                sessions.add(gatewayTls.start(client));
                SmtpClient.Reply reply = client.send(scenario.envelopeSender, List.of(Scenario.RECIPIENT), scenario.message());
                if (reply.code != 250) {
                    refused.put(scenario, reply.text);
                    continue;
                }
            } catch (IOException e) {
                refused.put(scenario, e.getMessage());
                continue;
            }
            if (scenario.expected(profile) == Scenario.Decision.RELAY || !enforce) {
                expectedRelayed++;
            }
        }
        // Not a row of the table: internet mail for one of our users, which goes to the M365 smart host.
        try (SmtpClient client = Scenario.INTERNET_HOST.connect(james)) {
            sessions.add(gatewayTls.start(client));
            if (client.send(Scenario.INTERNET_HOST.envelopeSender, List.of(OUR_USER), forOurUser()).code == 250) {
                expectedRelayed++;
            }
        } catch (IOException e) {
            System.out.println("The mail for our user was refused: " + e.getMessage());
        }
        Outcomes outcomes = Outcomes.await(james, hops, expectedRelayed, Scenario.SCENARIO_HEADER, DELIVERY_TIMEOUT, earlierQuarantine);

        int differing = printTable(profile, enforce, outcomes, refused, receivedFrom(james, hops, earlierQuarantine));
        System.out.println();
        if (differing == 0) {
            System.out.printf("All %d rows as SPEC says for the %s profile in %s mode (deny = %s).%n",
                Scenario.values().length, name(profile), mode, denyOutcome(enforce));
        } else {
            System.out.printf("%d rows differ from SPEC. If you edited files in %s, that may be why: delete them and run "
                + "again to get the shipped ones back.%n", differing, root.resolve("conf"));
        }
        printTls(sessions, gatewayTls, hops);
        if (outcomes.errorRepositorySize() > 0) {
            System.out.printf("James's error repository holds %d mails: see %s.%n", outcomes.errorRepositorySize(), james.rotatedLog());
        }
        printTryIt(james, root, earlierQuarantine, gatewayTls);

        watch(james, hops);
        System.exit(0);
    }

    /** The mail that is not a row of the table: from the internet host to one of our users (DomainList). */
    private static String forOurUser() {
        return "From: " + Scenario.INTERNET_HOST.envelopeSender + "\r\n"
            + "To: " + OUR_USER + "\r\n"
            + "Subject: Relay Guard demo: internet mail for our user\r\n"
            + Scenario.SCENARIO_HEADER + ": " + TO_OUR_USER + "\r\n"
            + "\r\nHello, relayed to the Microsoft 365 smart host over verified TLS.\r\n";
    }

    /** What was encrypted, and how: the demo's sessions with James, and James's with each next hop. */
    private static void printTls(Set<String> sessions, GatewayTls gatewayTls, NextHops hops) {
        System.out.printf("STARTTLS: every mail above was sent to James over %s; James presented %s.%n",
            String.join(" or ", sessions), gatewayTls.description);
        System.out.printf("James relayed over TLS: %s to the M365 smart host (STARTTLS required, certificate %s verified),%n"
                + "  %s to the internet next hop (opportunistic: its certificate, %s, is one James cannot verify).%n",
            overTls(hops.m365()), TestPki.M365_SMARTHOST_NAME, overTls(hops.internet()), TestPki.INTERNET_HOP_NAME);
        System.out.println("The decision log names each mail's TLS protocol (tls=).");
    }

    private static String overTls(SmtpSink hop) {
        List<SmtpSink.Received> received = hop.received();
        long encrypted = received.stream().filter(mail -> !mail.tls.equals(SmtpSink.CLEAR_TEXT)).count();
        Set<String> protocols = new TreeSet<>();
        received.forEach(mail -> protocols.add(mail.tls));
        return encrypted + " of " + received.size() + " mails" + (protocols.isEmpty() ? "" : " (" + String.join(", ", protocols) + ")");
    }

    /**
     * STARTTLS to the demo's James, trusting the certificate it is configured with
     * (run/conf/tls/fullchain.pem, or RELAYGUARD_TLS_CERT): run.sh's self-signed one, or yours.
     * The demo connects to 127.0.0.1, so the name on the certificate is not checked.
     */
    private static final class GatewayTls {
        final SSLContext trust;
        final String description;
        /** What curl needs to trust this certificate: the file itself when it is self-signed. */
        final String curlTrust;

        private GatewayTls(SSLContext trust, String description, String curlTrust) {
            this.trust = trust;
            this.description = description;
            this.curlTrust = curlTrust;
        }

        static GatewayTls of(Path root) throws IOException {
            Path file = root.resolve(env("RELAYGUARD_TLS_CERT", JamesServer.TLS_CERTIFICATES));
            try (InputStream in = Files.newInputStream(file)) {
                List<X509Certificate> chain = new ArrayList<>();
                CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(certificate -> chain.add((X509Certificate) certificate));
                X509Certificate gateway = chain.get(0);
                boolean selfSigned = gateway.getSubjectX500Principal().equals(gateway.getIssuerX500Principal());
                return new GatewayTls(TestPki.trusting(chain), gateway.getSubjectX500Principal().getName()
                    + (selfSigned ? ", self-signed" : ", issued by " + gateway.getIssuerX500Principal().getName()) + " (" + file + ")",
                    selfSigned ? " --cacert " + file : "");
            } catch (GeneralSecurityException | IndexOutOfBoundsException e) {
                throw new IOException("cannot read the gateway's certificate " + file + ": " + e, e);
            }
        }

        /** STARTTLS on this connection; the protocol and cipher suite it got. */
        String start(SmtpClient client) throws IOException {
            String protocol = client.startTls(trust, Optional.empty());
            return protocol + " (" + client.tls().orElseThrow().getCipherSuite() + ")";
        }
    }

    private static int printTable(JamesServer.Profile profile, boolean enforce, Outcomes outcomes, Map<Scenario, String> refused,
                                  Map<String, String> remoteHosts) {
        // Two lines a row, so that the table fits a terminal: the scenario and its headers go below.
        String format = "%2s  %-38s  %-31s  %-8s  %-24s  %s";
        String below = "%2s  %-38s  %s";
        row(format, "#", "Remote host (as James named it)", "Envelope sender", "Expected", "Where it went", "");
        row(below, "", "Scenario", "Headers");
        row(format, "--", "-".repeat(38), "-".repeat(31), "-".repeat(8), "-".repeat(24), "");
        int number = 0;
        int differing = 0;
        for (Scenario scenario : Scenario.values()) {
            number++;
            boolean deny = scenario.expected(profile) == Scenario.Decision.DENY;
            String wentTo;
            boolean asSpec;
            if (refused.containsKey(scenario)) {
                wentTo = "refused at SMTP";
                asSpec = false;
            } else {
                wentTo = outcomes.describe(scenario.name());
                asSpec = outcomes.quarantined(scenario.name()) == (deny ? 1 : 0)
                    && outcomes.relayed(scenario.name()) == (deny && enforce ? 0 : 1);
            }
            if (!asSpec) {
                differing++;
            }
            row(format, number, remoteHosts.getOrDefault(scenario.name(), sourceOf(scenario)),
                "<" + scenario.envelopeSender + ">", deny ? "deny" : "relay", wentTo, asSpec ? "ok" : "NOT AS SPEC");
            row(below, "", scenario.name(), headers(scenario));
            if (refused.containsKey(scenario)) {
                row(below, "", "", "SMTP said: " + refused.get(scenario));
            }
        }
        return differing;
    }

    private static void row(String format, Object... cells) {
        System.out.println(String.format(format, cells).stripTrailing());
    }

    /** The headers that the decision depends on, as the scenario's mail carries them. */
    private static String headers(Scenario scenario) {
        List<String> headers = new ArrayList<>();
        scenario.messageSource.ifPresent(value -> headers.add("X-MS-Exchange-Generated-Message-Source: " + value));
        if (scenario.originatorOrgs.isEmpty()) {
            headers.add("no X-OriginatorOrg");
        }
        for (String org : scenario.originatorOrgs) {
            headers.add("X-OriginatorOrg: " + org);
        }
        return String.join(", ", headers);
    }

    /** Where the connection came from, when James's own Received header could not be read. */
    private static String sourceOf(Scenario scenario) {
        switch (scenario.source) {
            case M365_HOSTNAME:
                return JamesServer.M365_HOST_NAME;
            case M365_IP_WITHOUT_PTR:
                return JamesServer.M365_IP_WITHOUT_PTR + " (no PTR)";
            default:
                return JamesServer.INTERNET_HOST_NAME;
        }
    }

    /**
     * The remote host of each scenario's connection as James itself recorded it in its Received
     * header, from the relayed copy or else the quarantined one: proof of what the matchers saw.
     */
    private static Map<String, String> receivedFrom(JamesServer james, NextHops hops, Set<String> earlierQuarantine) {
        List<String> messages = new ArrayList<>();
        hops.internet().received().forEach(mail -> messages.add(mail.message));
        hops.m365().received().forEach(mail -> messages.add(mail.message));
        WebAdmin webAdmin = james.webAdmin();
        for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
            if (!earlierQuarantine.contains(key)) {
                messages.add(webAdmin.rawMail(JamesServer.QUARANTINE, key));
            }
        }
        Map<String, String> hosts = new LinkedHashMap<>();
        for (String message : messages) {
            Matcher from = RECEIVED_FROM.matcher(unfoldedHeader(message, "Received"));
            if (from.find()) {
                String host = from.group(1).equals(from.group(2)) ? from.group(1) + " (no PTR)" : from.group(1);
                hosts.putIfAbsent(Outcomes.headerOf(message, Scenario.SCENARIO_HEADER), host);
            }
        }
        return hosts;
    }

    /** The first instance of a header, continuation lines joined. */
    private static String unfoldedHeader(String message, String name) {
        StringBuilder value = new StringBuilder();
        boolean inHeader = false;
        for (String line : message.split("\r?\n")) {
            if (line.isEmpty()) {
                break;
            }
            boolean continuation = line.startsWith(" ") || line.startsWith("\t");
            if (inHeader && continuation) {
                value.append(' ').append(line.trim());
            } else if (inHeader) {
                break;
            } else if (!continuation && line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                inHeader = true;
                value.append(line.substring(name.length() + 1).trim());
            }
        }
        return value.toString();
    }

    private static void printTryIt(JamesServer james, Path root, Set<String> earlierQuarantine, GatewayTls gatewayTls) {
        String base = "http://127.0.0.1:" + james.webAdminPort();
        String quarantine = base + "/mailRepositories/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/mails";
        List<String> keys = new ArrayList<>(james.webAdmin().mailKeys(JamesServer.QUARANTINE));
        int total = keys.size();
        keys.removeAll(earlierQuarantine);
        String key = keys.isEmpty() ? "KEY" : WebAdmin.encode(keys.get(0));
        System.out.println();
        System.out.println("James keeps running: SMTP 127.0.0.1:" + james.smtpPort() + ", webadmin " + base + ".");
        System.out.printf("The quarantine holds %d mails, %d from this run (it persists across runs: %s on disk). Try:%n",
            total, keys.size(), root.resolve(JamesServer.QUARANTINE));
        System.out.println("  curl -s " + base + "/relayguard/quarantine/" + WebAdmin.encode(JamesServer.QUARANTINE) + "/report");
        System.out.println("  curl -s " + quarantine);
        System.out.println("  curl -s '" + quarantine + "/" + key + "?additionalFields=headers' -H 'Accept: application/json'");
        System.out.println("  curl -s " + quarantine + "/" + key + " -H 'Accept: message/rfc822'");
        System.out.println("Every decision is a line in " + root.resolve("logs/relayguard-decisions.log") + ".");
        System.out.println("Release a reviewed mail (delivered once, to the internet sink here, never quarantined again):");
        System.out.println("  curl -s -X PATCH '" + quarantine + "/" + key + "?action=reprocess&processor=m365_release'");
        System.out.println("Send your own: James names a client on 127.0.0.2 " + JamesServer.M365_HOST_NAME + " and one on 127.0.0.3 "
            + JamesServer.INTERNET_HOST_NAME + " (demo hosts file " + root.resolve("hosts") + "):");
        System.out.println("  printf 'From: a@evil.example\\r\\nX-OriginatorOrg: evil.onmicrosoft.com\\r\\nSubject: my test\\r\\n\\r\\nHello\\r\\n' \\");
        System.out.println("    | curl -sS smtp://127.0.0.1:" + james.smtpPort() + " --interface " + JamesServer.M365_HOST_SOURCE
            + " --ssl-reqd" + gatewayTls.curlTrust + " --mail-from a@evil.example --mail-rcpt " + Scenario.RECIPIENT + " -T -");
        System.out.println("  (--ssl-reqd: STARTTLS, or nothing is sent; the decision log then says tls=TLSv1.3)");
        System.out.println("Ctrl-C stops James.");
    }

    /**
     * Reports what reaches a next hop or the quarantine from now on (a released mail, mail you
     * send), so that the curl commands show their effect here; returns when James ends.
     */
    private static void watch(JamesServer james, NextHops hops) throws InterruptedException {
        WebAdmin webAdmin = james.webAdmin();
        int toInternet = hops.internet().count();
        int toM365 = hops.m365().count();
        Set<String> quarantined = new HashSet<>(webAdmin.mailKeys(JamesServer.QUARANTINE));
        while (james.isRunning()) {
            Thread.sleep(1000);
            toInternet = reportRelayed(hops.internet(), toInternet, "the internet next hop");
            toM365 = reportRelayed(hops.m365(), toM365, "the M365 smart host");
            try {
                for (String key : webAdmin.mailKeys(JamesServer.QUARANTINE)) {
                    if (quarantined.add(key)) {
                        System.out.printf("quarantined: %s, Subject: %s%n", key,
                            Outcomes.headerOf(webAdmin.rawMail(JamesServer.QUARANTINE, key), "Subject"));
                    }
                }
            } catch (RuntimeException e) {
                // James is stopping: webadmin no longer answers
            }
        }
        System.out.println("James has stopped: see " + james.rotatedLog() + " and " + james.log() + ".");
    }

    private static int reportRelayed(SmtpSink hop, int alreadyReported, String name) {
        List<SmtpSink.Received> received = hop.received();
        for (SmtpSink.Received mail : received.subList(alreadyReported, received.size())) {
            System.out.printf("relayed to %s (TLS: %s): MAIL FROM:<%s>, RCPT TO:%s, Subject: %s%n", name, mail.tls, mail.mailFrom, mail.rcptTo,
                mail.header("Subject"));
        }
        return received.size();
    }

    /**
     * The scenarios connect from 127.0.0.2 and 127.0.0.3: Linux routes all of 127/8 to loopback,
     * macOS only 127.0.0.1 unless aliases are added.
     */
    private static void requireLoopbackSources() {
        for (String source : List.of(JamesServer.M365_HOST_SOURCE, JamesServer.INTERNET_HOST_SOURCE)) {
            try (Socket socket = new Socket()) {
                socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
            } catch (IOException e) {
                System.err.printf("The demo sends from %s, which this machine cannot use (%s).%n"
                    + "On macOS add it first: sudo ifconfig lo0 alias %s up%n", source, e.getMessage(), source);
                System.exit(1);
            }
        }
    }

    private static String denyOutcome(boolean enforce) {
        return enforce ? "quarantined, not relayed" : "quarantined and relayed";
    }

    private static String name(JamesServer.Profile profile) {
        return profile.name().toLowerCase();
    }

    private static String env(String name, String otherwise) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? otherwise : value;
    }
}
