package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.harness.WebAdmin;
import org.relayguard.tools.process.Pause;

/**
 * The Relay Guard server distribution ({@code james-server/target/relayguard-server-VERSION.tar.gz})
 * as an operator puts it in service (docs/operator-guide.md, "Run it as a service"): unpacked into
 * an empty directory, {@code bin/relayguard} started as the unprivileged system user
 * {@value #USER} holding the one capability the systemd unit grants it (CAP_NET_BIND_SERVICE, here
 * through util-linux's {@code setpriv}, as systemd's {@code AmbientCapabilities} does), SMTP on
 * 127.0.0.1 port 25, its settings in {@code conf/relayguard.env}. It relays on both routes to two
 * next hops, keeps the mail queued for them across a SIGTERM, delivers it after the next start, and
 * keeps James's log within the limits of {@code conf/logback.xml} under a load.
 *
 * <p>Needs root (to create the user and hand over the capability), as the tests run here and in CI;
 * skips the whole test, saying why, only when port 25 is taken on 127.0.0.1.</p>
 */
class DistributionTest {
    static final String USER = "relayguard";
    /** Small limits for the test, set in conf/relayguard.env as an operator would. */
    static final long MAX_FILE_SIZE = 32 * 1024;
    static final long TOTAL_SIZE_CAP = 128 * 1024;
    static final int LOAD_MAILS = 300;
    private static final Pattern SS_PID = Pattern.compile("pid=(\\d+)");

    @Test
    void theUnpackedDistributionRunsAsAnUnprivilegedUserOnPort25KeepsQueuedMailAcrossSigtermAndBoundsItsLog() throws Exception {
        assumeTrue(port25IsFree(), "port 25 on 127.0.0.1 is taken by another program: the distribution's port-25 test cannot run here");
        assertThat(run("id", "-u").trim()).as("the test runs as root, as here and in CI, to create the user and grant the capability").isEqualTo("0");
        Path archive = distributionArchive();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "relayguard-dist-");
        try (NextHops hops = NextHops.down()) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            // The install steps of the operator guide, into an empty directory instead of /opt/relayguard.
            ensureSystemUser();
            run("tar", "-xzf", archive.toString(), "-C", dir.toString(), "--strip-components=1");
            run("chown", USER + ":" + USER, dir.toString(), dir.resolve("conf/tls").toString(), dir.resolve("conf/webadmin").toString());
            assertThat(dir.resolve("var")).as("var/ is made on the first start").doesNotExist();
            Path smartHostCa = dir.resolve("conf/smarthost-ca.pem");
            Files.copy(TestPki.smartHostCa().pemFile(), smartHostCa);
            Files.writeString(dir.resolve("conf/relayguard.env"), String.join("\n",
                "",
                "# DistributionTest: the next hops, and small log limits so that a short load rotates the log.",
                "RELAYGUARD_M365_SMARTHOST=" + TestPki.M365_SMARTHOST_NAME + ":" + hops.m365Port(),
                "RELAYGUARD_OUTBOUND_GATEWAY=127.0.0.1:" + hops.internetPort(),
                "RELAYGUARD_SMARTHOST_CA=" + smartHostCa,
                "RELAYGUARD_LOG_MAX_FILE_SIZE=" + MAX_FILE_SIZE / 1024 + "KB",
                "RELAYGUARD_LOG_TOTAL_SIZE_CAP=" + TOTAL_SIZE_CAP / 1024 + "KB",
                ""), StandardCharsets.UTF_8, StandardOpenOption.APPEND);

            List<String> asServiceUser = List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups",
                "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service", "--");
            try (JamesServer james = JamesServer.builder(dir)
                .root(dir)
                .kind(JamesServer.Kind.RELAY_GUARD)
                .launcher(asServiceUser)
                .gatewayCertificate(false)
                .env("RELAYGUARD_SMTP_BIND", "127.0.0.1:25")
                .start()) {
                assertThat(james.smtpPort()).isEqualTo(25);
                ProcessStatus listener = listenerOfPort25();
                assertThat(listener.uid).as("James's user id, listening on port 25").isEqualTo(run("id", "-u", USER).trim());
                assertThat(listener.effectiveCapabilities).as("James's effective capabilities: CAP_NET_BIND_SERVICE only")
                    .isEqualTo(1L << 10);
                assertThat(dir.resolve("conf/tls/fullchain.pem")).as("the first start's self-signed certificate").exists();
                assertThat(dir.resolve("var")).isDirectory();

                // Both next hops down: each mail waits in its route's delivery queue.
                assertThat(TransportMail.OUTBOUND.send(james, "queued-outbound").code).isEqualTo(250);
                assertThat(TransportMail.INBOUND.send(james, "queued-inbound").code).isEqualTo(250);
                awaitQueued(james.webAdmin());

                james.stop();
                assertThat(james.rotatedLog()).content(StandardCharsets.UTF_8).as("James's log on SIGTERM")
                    .doesNotContain("Fatal error");
                hops.up();
                james.start();

                Outcomes outcomes = Outcomes.await(james, hops, 2, TransportMail.ID_HEADER, Duration.ofMinutes(2));
                assertThat(outcomes.relayed("queued-outbound")).as("outbound mail at the internet next hop (%s)", outcomes).isEqualTo(1);
                assertThat(outcomes.relayedToM365("queued-inbound")).as("inbound mail at the M365 smart host (%s)", outcomes).isEqualTo(1);
                assertThat(outcomes.relayed("queued-inbound") + outcomes.relayedToM365("queued-outbound")).as("on the wrong route").isZero();

                sendLoad(james);
                Outcomes afterLoad = Outcomes.await(james, hops, 2 + LOAD_MAILS, TransportMail.ID_HEADER, Duration.ofMinutes(5));
                assertThat(afterLoad.errorRepositorySize()).isZero();
                james.stop();
            }
            assertLogWithinLimits(dir.resolve("logs"));
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    private static void sendLoad(JamesServer james) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> replies = new ArrayList<>();
            for (int i = 0; i < LOAD_MAILS; i++) {
                String id = "load-" + i;
                replies.add(pool.submit(() -> TransportMail.OUTBOUND.send(james, id).code));
            }
            for (Future<Integer> reply : replies) {
                assertThat(reply.get(2, TimeUnit.MINUTES)).isEqualTo(250);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * logs/james.log stays near its size limit (logback checks the size every few events, so it may
     * pass the limit by those events), it rotated, and the rotated files stay within the total cap.
     */
    private static void assertLogWithinLimits(Path logs) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(logs)) {
            files = list.filter(file -> file.getFileName().toString().startsWith("james.")).sorted().collect(Collectors.toList());
        }
        String listing = files.stream().map(file -> file.getFileName() + "=" + size(file)).collect(Collectors.joining(", "));
        System.out.println("DistributionTest logs/ after the load: " + listing);
        List<Path> rotated = files.stream().filter(file -> file.getFileName().toString().endsWith(".log.gz")).collect(Collectors.toList());
        assertThat(rotated).as("rotated logs (%s)", listing).isNotEmpty();
        assertThat(size(logs.resolve("james.log"))).as("the current log (%s)", listing).isLessThanOrEqualTo(2 * MAX_FILE_SIZE);
        for (Path file : rotated) {
            assertThat(size(file)).as("%s (%s)", file.getFileName(), listing).isLessThanOrEqualTo(2 * MAX_FILE_SIZE);
        }
        assertThat(rotated.stream().mapToLong(DistributionTest::size).sum()).as("the rotated logs together (%s)", listing)
            .isLessThanOrEqualTo(TOTAL_SIZE_CAP + 2 * MAX_FILE_SIZE);
        try (Stream<Path> list = Files.list(logs)) {
            assertThat(list.map(file -> file.getFileName().toString()))
                .as("every file of logs/ is one logback rotates").allMatch(name -> name.matches("(james|relayguard-decisions)[.-].*"));
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void awaitQueued(WebAdmin webAdmin) {
        for (int i = 0; i < 300; i++) {
            if (webAdmin.queueSize("spool") == 0 && webAdmin.queueSize("to-internet") == 1 && webAdmin.queueSize("to-m365-contoso") == 1) {
                return;
            }
            Pause.sleep(200);
        }
        throw new AssertionError("not one mail waiting in each delivery queue: " + webAdmin.queues());
    }

    static boolean port25IsFree() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 25), 1000);
            return false;
        } catch (IOException refused) {
            try (ServerSocket probe = new ServerSocket(25, 1, InetAddress.getLoopbackAddress())) {
                return true;
            } catch (IOException taken) {
                return false;
            }
        }
    }

    static Path distributionArchive() throws IOException {
        Path target = JamesServer.defaultServerDir().getParent();
        try (Stream<Path> files = Files.list(target)) {
            List<Path> archives = files.filter(file -> file.getFileName().toString().matches("relayguard-server-.*\\.tar\\.gz"))
                .collect(Collectors.toList());
            assertThat(archives).as("the distribution archive in %s (mvn package builds it)", target).hasSize(1);
            return archives.get(0);
        }
    }

    static void ensureSystemUser() throws IOException, InterruptedException {
        if (exec("id", "-u", USER).exitCode != 0) {
            run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", USER);
        }
    }

    private static final class ProcessStatus {
        final String uid;
        final long effectiveCapabilities;

        ProcessStatus(String uid, long effectiveCapabilities) {
            this.uid = uid;
            this.effectiveCapabilities = effectiveCapabilities;
        }
    }

    /** The process listening on 127.0.0.1:25, from ss and /proc: its real user id and its effective capabilities. */
    private static ProcessStatus listenerOfPort25() throws IOException, InterruptedException {
        String ss = run("ss", "-H", "-l", "-t", "-n", "-p", "sport = :25");
        Matcher pid = SS_PID.matcher(ss);
        assertThat(pid.find()).as("a process listening on port 25: %s", ss).isTrue();
        List<String> status = Files.readAllLines(Path.of("/proc", pid.group(1), "status"));
        String uid = field(status, "Uid:").split("\\s+")[0];
        long capEff = Long.parseLong(field(status, "CapEff:"), 16);
        return new ProcessStatus(uid, capEff);
    }

    private static String field(List<String> status, String name) {
        return status.stream().filter(line -> line.startsWith(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no " + name + " in /proc/PID/status")).substring(name.length()).trim();
    }

    static final class Result {
        final int exitCode;
        final String output;

        Result(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    static Result exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, output);
        }
        return new Result(process.exitValue(), output);
    }

    /** Runs a command that must succeed; returns its output. */
    static String run(String... command) throws IOException, InterruptedException {
        Result result = exec(command);
        assertThat(result.exitCode).as("%s:%n%s", String.join(" ", command), result.output).isZero();
        return result.output;
    }
}
