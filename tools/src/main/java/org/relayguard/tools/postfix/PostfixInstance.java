package org.relayguard.tools.postfix;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.relayguard.tools.harness.FileTrees;
import org.relayguard.tools.process.Commands;
import org.relayguard.tools.process.Pause;
import org.relayguard.tools.process.Ports;
import org.relayguard.tools.process.ServerProcess;

/**
 * One Postfix of the Debian package with its own configuration directory, queue and log under one
 * directory, its smtpd listening on one loopback port: what the peer relay, the test sender and the
 * test next hops have in common. A subclass gives the lines of {@code main.cf} that make it what it
 * is (and any more {@code master.cf} services); this class writes the rest, starts Postfix, stops it,
 * and reads its log. The system's own Postfix (if any) is neither needed nor touched. Needs root, as
 * {@code postfix start} does.
 *
 * <p>Postfix refuses a UNIX socket path over 108 bytes, and its sockets live in its queue: by default
 * an instance gets a fresh directory of its own under /tmp, whatever the path of the checkout,
 * removed on {@link #close()}.</p>
 */
public abstract class PostfixInstance extends ServerProcess {
    public static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    public static final String INSTALL_HINT = "install it: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix postfix-pcre "
        + "(debconf: No configuration); ./perf.sh peer does";
    /** sun_path holds 108 bytes, the terminating NUL included. */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    /** Postfix prints why it stops to a terminal only (otherwise to syslog): script(1) gives it one. */
    static final Path SCRIPT = Path.of("/usr/bin/script");
    /** The daemons every instance runs, as Debian's master.cf has them (chroot off). */
    private static final List<String> SERVICES = List.of(
        "pickup    unix  n       -       n       60      1       pickup",
        "cleanup   unix  n       -       n       -       0       cleanup",
        "qmgr      unix  n       -       n       300     1       qmgr",
        "rewrite   unix  -       -       n       -       -       trivial-rewrite",
        "bounce    unix  -       -       n       -       0       bounce",
        "defer     unix  -       -       n       -       0       bounce",
        "trace     unix  -       -       n       -       0       bounce",
        "verify    unix  -       -       n       -       1       verify",
        "flush     unix  n       -       n       1000?   0       flush",
        "proxymap  unix  -       -       n       -       -       proxymap",
        "smtp      unix  -       -       n       -       -       smtp",
        "relay     unix  -       -       n       -       -       smtp",
        "showq     unix  n       -       n       -       -       showq",
        "error     unix  -       -       n       -       -       error",
        "retry     unix  -       -       n       -       -       error",
        "discard   unix  -       -       n       -       -       discard",
        "anvil     unix  -       -       n       -       1       anvil",
        "scache    unix  -       -       n       -       1       scache",
        "tlsmgr    unix  -       -       n       1000?   1       tlsmgr",
        "postlog   unix-dgram n  -       n       -       1       postlogd");

    private static final Pattern QUEUE_ID = Pattern.compile("\"queue_id\": \"([0-9A-Za-z]+)\"");
    private static final Pattern SMTPD_COMMAND = Pattern.compile(": < [^ ]+\\[[^]]+\\]: (.*)$");
    private static final Pattern EHLO_KEYWORD = Pattern.compile("250[ -]([0-9]*[A-Z][A-Z0-9-]*( .*)?)");
    private static final Pattern QUEUE_NAME = Pattern.compile("\"queue_name\": \"([a-z]+)\"");

    private final Path directory;
    private final Path configDirectory;
    private final int port;
    private final boolean removeOnClose;

    protected PostfixInstance(String name, Path directory, int port, boolean removeOnClose) {
        super(name);
        this.directory = directory;
        this.configDirectory = directory.resolve("etc");
        this.port = port;
        this.removeOnClose = removeOnClose;
    }

    /** Fails, saying how to install it, when Postfix is not installed. */
    public static void checkInstalled() {
        if (!isInstalled()) {
            throw new IllegalStateException(POSTFIX + " not found: " + INSTALL_HINT);
        }
    }

    public static boolean isInstalled() {
        return Files.isExecutable(POSTFIX);
    }

    /** A fresh directory under /tmp that Postfix's daemons (the postfix user) can reach. */
    protected static Path temporaryDirectory(String prefix) throws IOException {
        Path root = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        return root;
    }

    /** The Postfix version, as {@code postconf -d mail_version} gives it. */
    public static String version() {
        try {
            return run(List.of("/usr/sbin/postconf", "-d", "-h", "mail_version"), Duration.ofSeconds(30)).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Writes the configuration and starts Postfix; on failure, stops what started and (for a
     * directory of its own) removes it.
     */
    protected final void configureAndLaunch() throws IOException {
        try {
            configure();
            launch();
        } catch (IOException | RuntimeException e) {
            stop();
            remove();
            throw e;
        }
    }

    /** Writes this instance's configuration, with {@link #writeConfiguration}. */
    protected abstract void configure() throws IOException;

    public int port() {
        return port;
    }

    public Path directory() {
        return directory;
    }

    public Path configDirectory() {
        return configDirectory;
    }

    public Path maillog() {
        return directory.resolve("maillog");
    }

    /**
     * Writes {@code main.cf}: the lines that make an instance private (its directories, loopback
     * only, no DNS unless {@code lines} set {@code smtp_dns_support_level}, its own log file) and then {@code lines}; and {@code master.cf}: the smtpd on
     * {@link #port()} with {@code smtpdOptions} ({@code -o name=value} each), the usual daemons, and
     * {@code moreServices}.
     */
    protected final void writeConfiguration(String comment, List<String> lines, List<String> smtpdOptions, List<String> moreServices)
        throws IOException {
        Path queue = directory.resolve("queue");
        Path data = directory.resolve("data");
        Files.createDirectories(configDirectory);
        Files.createDirectories(queue);
        Files.createDirectories(data);
        UserPrincipal postfixUser = data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
        Files.setOwner(data, postfixUser);
        List<String> main = new ArrayList<>(List.of(
            "# " + comment,
            "compatibility_level = 3.6",
            "queue_directory = " + queue,
            "data_directory = " + data,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "shlib_directory = /usr/lib/postfix",
            "daemon_directory = /usr/lib/postfix/sbin",
            "meta_directory = /etc/postfix",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "maillog_file = " + maillog(),
            "maillog_file_prefixes = " + directory));
        if (lines.stream().noneMatch(line -> line.startsWith("smtp_dns_support_level "))) {
            // The next hops are loopback addresses: no DNS.
            main.add("smtp_dns_support_level = disabled");
        }
        main.addAll(lines);
        main.add("");
        Files.writeString(configDirectory.resolve("main.cf"), String.join("\n", main), StandardCharsets.UTF_8);
        List<String> master = new ArrayList<>();
        master.add("127.0.0.1:" + port + " inet n - n - - smtpd"
            + smtpdOptions.stream().map(option -> " -o " + option).collect(Collectors.joining()));
        master.addAll(SERVICES);
        master.addAll(moreServices);
        master.add("");
        checkSocketPaths(queue, master);
        Files.writeString(configDirectory.resolve("master.cf"), String.join("\n", master), StandardCharsets.US_ASCII);
    }

    /** Writes a file into the configuration directory; returns its path. */
    protected final Path writeConfigFile(String name, String content) throws IOException {
        Path file = configDirectory.resolve(name);
        Files.createDirectories(configDirectory);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    /**
     * Postfix's UNIX sockets are QUEUE/public/NAME and QUEUE/private/NAME, and a path over 108 bytes
     * stops {@code postfix start} with a message that only reaches syslog: say so before.
     */
    private static void checkSocketPaths(Path queue, List<String> master) {
        for (String service : master) {
            String[] fields = service.split("\\s+");
            if (fields.length > 1 && fields[1].startsWith("unix")) {
                Path socket = queue.resolve("private").resolve(fields[0]);
                int bytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
                if (bytes > MAX_SOCKET_PATH_BYTES) {
                    throw new IllegalStateException("Postfix's socket " + socket + " would be " + bytes + " bytes long, "
                        + "over the " + (MAX_SOCKET_PATH_BYTES + 1) + " (with its NUL) a UNIX socket path may have: "
                        + "give Postfix a shorter directory");
                }
            }
        }
    }

    /**
     * The command that {@code postfix start} runs behind: empty, or e.g. {@code unshare …} to start
     * Postfix's master (and so every daemon it starts) in a mount namespace of its own.
     */
    protected List<String> launcher() {
        return List.of();
    }

    private void launch() throws IOException {
        try {
            List<String> start = new ArrayList<>(launcher());
            start.addAll(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "start"));
            run(start, Duration.ofMinutes(1));
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + checkOutput() + "\n" + maillogTail(), e);
        }
        stopWithJvm();
        if (!awaitReady(() -> Ports.accepts(port), Duration.ofSeconds(60), 100)) {
            throw new IllegalStateException("Postfix does not listen on " + port + " within 60 s\n" + maillogTail());
        }
    }

    /**
     * What {@code postfix check} says about the configuration: Postfix's own reason when
     * {@code postfix start} fails. Postfix writes it to a terminal only (otherwise to syslog, which
     * a test machine may not run), so the check runs in one that script(1) provides.
     */
    private String checkOutput() {
        if (!Files.isExecutable(SCRIPT)) {
            return "postfix check not run: " + SCRIPT + " (util-linux) is missing";
        }
        String check = POSTFIX + " -c '" + configDirectory.toString().replace("'", "'\\''") + "' check";
        try {
            Process process = new ProcessBuilder(SCRIPT.toString(), "-q", "-e", "-c", check, "/dev/null")
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return check + ": no answer within 60 s";
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "").trim();
            return check + (process.exitValue() == 0 ? " finds nothing wrong" : " says:\n  " + output.replace("\n", "\n  "));
        } catch (IOException e) {
            return check + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return check + ": interrupted";
        }
    }

    /** The last lines of Postfix's log, for a failure's message. */
    public String maillogTail() {
        List<String> lines = logLines();
        if (lines.isEmpty()) {
            return "no Postfix log at " + maillog();
        }
        return "Postfix's log (" + maillog() + "):\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }

    /** Every line of Postfix's log so far (UTF-8: Postfix logs SMTPUTF8 addresses as they are). */
    public List<String> logLines() {
        try {
            return Files.readAllLines(maillog(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * What clients said to this instance's smtpd, command by command, as it logged them
     * ({@code debug_peer_list} of the loopback network, which every instance but the peer relay sets).
     */
    public List<String> smtpdCommands() {
        return logged(SMTPD_COMMAND, "postfix/smtpd[");
    }

    /** What this instance's smtp client sent to the server on {@code port}, command by command. */
    public List<String> commandsSentTo(int port) {
        return logged(Pattern.compile(": > [^ ]+\\[[^]]+\\]:" + port + ": (.*)$"), "postfix/smtp[");
    }

    /** What the server on {@code port} answered this instance's smtp client, line by line. */
    public List<String> repliesFrom(int port) {
        return logged(Pattern.compile(": < [^ ]+\\[[^]]+\\]:" + port + ": (.*)$"), "postfix/smtp[");
    }

    /**
     * The EHLO keywords (with their parameters, e.g. {@code SIZE 10240000}) the server on
     * {@code port} offered this instance's smtp client, as Postfix logged its answers: every
     * {@code 250} line that is a keyword, not a host name or a status.
     */
    public List<String> ehloKeywordsOf(int port) {
        List<String> keywords = new ArrayList<>();
        for (String reply : repliesFrom(port)) {
            Matcher keyword = EHLO_KEYWORD.matcher(reply);
            if (keyword.matches() && !keywords.contains(keyword.group(1))) {
                keywords.add(keyword.group(1));
            }
        }
        return keywords;
    }

    private List<String> logged(Pattern pattern, String program) {
        List<String> found = new ArrayList<>();
        for (String line : logLines()) {
            Matcher matcher = pattern.matcher(line);
            if (line.contains(program) && matcher.find()) {
                found.add(matcher.group(1));
            }
        }
        return found;
    }

    /** Runs one of Postfix's commands ({@code postqueue}, {@code postcat}, …) on this instance; returns its output. */
    protected final String command(String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("/usr/sbin/" + program, "-c", configDirectory.toString()));
        command.addAll(List.of(arguments));
        return run(command, Duration.ofSeconds(30));
    }

    /**
     * Every mail in this instance's queues (incoming, active, deferred, hold), as {@code postqueue -j}
     * lists them and {@code postcat} shows them; a mail that leaves the queue meanwhile is left out.
     */
    public List<QueuedMail> queue() throws IOException {
        List<QueuedMail> mails = new ArrayList<>();
        for (String line : command("postqueue", "-j").split("\n")) {
            Matcher id = QUEUE_ID.matcher(line);
            Matcher name = QUEUE_NAME.matcher(line);
            if (!id.find() || !name.find()) {
                continue;
            }
            try {
                String envelope = command("postcat", "-e", "-q", id.group(1));
                byte[] message = commandBytes("postcat", "-bh", "-q", id.group(1));
                mails.add(QueuedMail.parse(id.group(1), name.group(1), envelope, message));
            } catch (IOException e) {
                // delivered or removed between the listing and postcat
            }
        }
        return mails;
    }

    /**
     * Waits for the one mail in the queues that {@code which} picks (a test's own, e.g. by its
     * Message-ID); fails, saying what the queues hold and the end of Postfix's log, when none
     * comes within {@code timeout}.
     */
    public QueuedMail awaitMail(String what, Predicate<QueuedMail> which, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<QueuedMail> mails = queue();
            Optional<QueuedMail> mail = mails.stream().filter(which).findFirst();
            if (mail.isPresent()) {
                return mail.get();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(getClass().getSimpleName() + " on port " + port + " has no " + what + " after "
                    + timeout.toSeconds() + " s; its queues hold " + mails + "\n" + maillogTail());
            }
            Pause.sleep(200);
        }
    }

    /** Stops Postfix ({@code postfix stop}) and waits until its master process has gone. */
    @Override
    public synchronized void stop() {
        if (!Files.exists(configDirectory.resolve("main.cf"))) {
            return;
        }
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "stop"), Duration.ofMinutes(1));
            awaitReady(() -> !Files.exists(directory.resolve("queue/pid/master.pid")) || !isRunning(), Duration.ofSeconds(30), 100);
        } catch (IOException | RuntimeException e) {
            // already stopped
        }
    }

    /** Whether {@code postfix status} finds Postfix running. */
    @Override
    public boolean isRunning() {
        try {
            run(List.of(POSTFIX.toString(), "-c", configDirectory.toString(), "status"), Duration.ofSeconds(30));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Stops Postfix and, when its directory is its own under /tmp, removes it. */
    @Override
    public void close() {
        super.close();
        remove();
    }

    @Override
    protected synchronized void stopAtJvmExit() {
        stop();
        remove();
    }

    private void remove() {
        if (removeOnClose) {
            try {
                FileTrees.delete(directory);
            } catch (IOException | RuntimeException e) {
                System.err.println("Could not remove Postfix's directory " + directory + ": " + e);
            }
        }
    }

    /** Like {@link #command}, the output as bytes: postcat prints a message's 8-bit bytes as they are. */
    private byte[] commandBytes(String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("/usr/sbin/" + program, "-c", configDirectory.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] output = process.getInputStream().readAllBytes();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        return output;
    }

    private static String run(List<String> command, Duration timeout) throws IOException {
        return Commands.run(command, Map.of(), timeout.toSeconds());
    }
}
