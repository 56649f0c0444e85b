package org.relayguard.tools.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.Queue;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import org.relayguard.tools.process.Pause;

/**
 * The next hop: an SMTP server on loopback that accepts every mail James relays to it and keeps
 * the envelope and the message as received. With a certificate it offers STARTTLS, and each
 * received mail says whether it came over TLS ({@link Received#tls}); every session is recorded
 * ({@link #sessions()}), so that a test can tell what a client did before TLS, or without it.
 *
 * <p>Not GreenMail: GreenMail 1.6.15 and 2.1.2 answer {@code MAIL FROM:<>} with 250 but then refuse
 * the RCPT ("503 MAIL must come before RCPT"), so they cannot receive null-sender mail, which
 * SPEC's decision table relays in audit mode.</p>
 */
public final class SmtpSink implements AutoCloseable {

    /** One mail as the sink received it. */
    public static final class Received {
        public final String mailFrom;
        public final List<String> rcptTo;
        /** The message read as UTF-8 (a byte that is not UTF-8 becomes U+FFFD): {@link #bytes()} has it exactly. */
        public final String message;
        /** The message's bytes when one is not ASCII (null otherwise: a load run keeps tens of thousands of mails). */
        private final byte[] eightBit;
        /** The TLS protocol of the session the mail came in ({@code TLSv1.3}), {@value #CLEAR_TEXT} without TLS. */
        public final String tls;
        /** The MAIL command as the client wrote it, parameters included ({@code MAIL FROM:<a@b> SIZE=12 RET=HDRS}). */
        public final String mailCommand;
        /** The accepted RCPT commands as the client wrote them, parameters included, in order. */
        public final List<String> rcptCommands;
        /** The address and port the client connected to ({@code 127.25.1.1:25}): which of a sink's addresses ({@link #start(List, Optional)}) got the mail. */
        public final String server;

        Received(String mailFrom, List<String> rcptTo, byte[] bytes, String tls, String mailCommand, List<String> rcptCommands, String server) {
            this.mailFrom = mailFrom;
            this.rcptTo = List.copyOf(rcptTo);
            boolean ascii = isAscii(bytes);
            this.message = new String(bytes, ascii ? StandardCharsets.US_ASCII : StandardCharsets.UTF_8);
            this.eightBit = ascii ? null : bytes;
            this.tls = tls;
            this.mailCommand = mailCommand;
            this.rcptCommands = List.copyOf(rcptCommands);
            this.server = server;
        }

        /** The RCPT command for this recipient, parameters included. */
        public String rcptCommand(String recipient) {
            return rcptCommands.stream().filter(command -> path(command).equalsIgnoreCase(recipient)).findFirst()
                .orElseThrow(() -> new AssertionError("no RCPT for " + recipient + " in " + rcptCommands));
        }

        /** The message exactly as it came after DATA: line ends CRLF, dot-stuffing undone, every other byte as sent. */
        public byte[] bytes() {
            return eightBit != null ? eightBit.clone() : message.getBytes(StandardCharsets.US_ASCII);
        }

        /** The first value of a header, or "(none)". */
        public String header(String name) {
            return Outcomes.headerOf(message, name);
        }
    }

    public static final String CLEAR_TEXT = "none";
    /** The ESMTP keywords the sink offers unless told to withhold them ({@link #withhold}), besides STARTTLS. */
    public static final List<String> EXTENSIONS = List.of("8BITMIME", "DSN", "SIZE 52428800", "PIPELINING");

    private final Set<String> withheld = ConcurrentHashMap.newKeySet();

    private volatile java.util.function.Predicate<String> deferred = recipient -> false;

    /** A failure the sink plays once, on the next mail transaction of any connection ({@link #failNext}). */
    public enum Fault {
        /** {@code 421} to MAIL FROM, then the connection is closed: the server is going away. */
        SERVICE_NOT_AVAILABLE,
        /** The connection is closed after the first line of the message, before the final dot: nothing is received. */
        DROP_IN_DATA
    }

    /** One SMTP connection as the sink saw it. */
    public static final class Session {
        private final String server;
        private final List<String> commands = Collections.synchronizedList(new ArrayList<>());
        private volatile String tls = CLEAR_TEXT;
        private volatile String tlsFailure;
        private volatile boolean ended;

        Session(String server) {
            this.server = server;
        }

        /** The address and port the client connected to ({@code 127.25.1.1:25}). */
        public String server() {
            return server;
        }

        /** The command verbs in the order received, each prefixed {@code tls:} once TLS was on: {@code [EHLO, STARTTLS, tls:EHLO, tls:MAIL...]}. */
        public List<String> commands() {
            synchronized (commands) {
                return List.copyOf(commands);
            }
        }

        /** The verbs received in clear text. */
        public List<String> commandsInClear() {
            return commands().stream().filter(command -> !command.startsWith("tls:")).collect(Collectors.toList());
        }

        public String tls() {
            return tls;
        }

        /** Why the TLS handshake failed, if it did (the client refused the certificate, say). */
        public Optional<String> tlsFailure() {
            return Optional.ofNullable(tlsFailure);
        }

        public boolean ended() {
            return ended;
        }

        @Override
        public String toString() {
            return "session " + commands() + " tls=" + tls + (tlsFailure == null ? "" : " failure=" + tlsFailure) + (ended ? " ended" : "");
        }
    }

    /** One listening socket per address the sink answers on. */
    private final List<ServerSocket> servers;
    private final Optional<SSLContext> tls;
    private final List<Session> sessions = Collections.synchronizedList(new ArrayList<>());
    /** Open connections, closed with the sink: a connection left open would keep the port from the next sink. */
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "smtp-sink");
        thread.setDaemon(true);
        return thread;
    });
    // Not copy-on-write: a load run adds tens of thousands of mails, and each add would copy them all.
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final Set<String> rejectedRecipients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger tlsHandshakeCount = new AtomicInteger();
    private volatile boolean smtpUtf8;

    /** A sink without STARTTLS on a free port. */
    public static SmtpSink start() {
        return start(0);
    }

    /** A sink without STARTTLS. */
    public static SmtpSink start(int port) {
        return start(port, Optional.empty());
    }

    /** A sink that offers STARTTLS with this certificate, if one is given. */
    public static SmtpSink start(int port, Optional<TestPki.Identity> certificate) {
        return start(InetAddress.getLoopbackAddress(), port, certificate);
    }

    /**
     * A sink on another loopback address, such as an MX host on port 25 of {@code 127.25.0.1}
     * (delivery to MX hosts knows no other port; port 25 needs root).
     */
    public static SmtpSink start(InetAddress address, int port, Optional<TestPki.Identity> certificate) {
        return start(List.of(new InetSocketAddress(address, port)), certificate);
    }

    /**
     * One sink answering on each of these addresses (e.g. port 25 of 127.25.1.1 and of 127.25.1.2,
     * a destination's MX hosts), which it counts together; each mail and session says which address
     * it came to ({@link Received#server}).
     */
    public static SmtpSink start(List<InetSocketAddress> addresses, Optional<TestPki.Identity> certificate) {
        List<ServerSocket> servers = new ArrayList<>();
        try {
            for (InetSocketAddress address : addresses) {
                servers.add(bind(address));
            }
            return new SmtpSink(servers, certificate.map(TestPki.Identity::serverContext));
        } catch (IOException e) {
            servers.forEach(SmtpSink::closeQuietly);
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A sink that takes over the port of one just closed may find it still held for a moment: a
     * connection thread was reading when the sink closed it, and the JDK closes a socket only
     * once that read returns. Try again for a few seconds.
     */
    private static ServerSocket bind(InetSocketAddress address) throws IOException {
        Instant deadline = Instant.now().plusSeconds(10);
        while (true) {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            try {
                server.bind(address, 50);
                return server;
            } catch (BindException e) {
                server.close();
                if (address.getPort() == 0 || Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Pause.sleep(100);
            }
        }
    }

    private SmtpSink(List<ServerSocket> servers, Optional<SSLContext> tls) {
        this.servers = List.copyOf(servers);
        this.tls = tls;
        for (ServerSocket server : this.servers) {
            executor.submit(() -> acceptLoop(server));
        }
    }

    private static void closeQuietly(ServerSocket server) {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Whether this sink offers STARTTLS. */
    /** From now on, answers {@code 451} to RCPT TO for the matching recipients (a destination that defers), until told otherwise. */
    public void deferRecipients(java.util.function.Predicate<String> recipients) {
        this.deferred = recipients;
    }

    /** From the next EHLO on, the sink does not offer this extension ({@code DSN}, {@code SIZE}, {@code 8BITMIME}), as an older server. */
    public SmtpSink withhold(String keyword) {
        withheld.add(keyword.toUpperCase(Locale.ROOT));
        return this;
    }

    private String ehloReply(boolean offerStartTls) {
        StringBuilder reply = new StringBuilder("250-relayguard-sink");
        if (offerStartTls) {
            reply.append("\r\n250-STARTTLS");
        }
        for (String extension : EXTENSIONS) {
            if (!withheld.contains(extension.split(" ")[0])) {
                reply.append("\r\n250-").append(extension);
            }
        }
        if (smtpUtf8) {
            reply.append("\r\n250-SMTPUTF8");
        }
        reply.append("\r\n250 ENHANCEDSTATUSCODES");
        return reply.toString();

    }

    /** From the next EHLO on, offers SMTPUTF8 (RFC 6531) too, or stops offering it. */
    public void offerSmtpUtf8(boolean offer) {
        this.smtpUtf8 = offer;
    }

    public boolean offersStartTls() {
        return tls.isPresent();
    }

    /** Every connection so far, in the order they came. */
    public List<Session> sessions() {
        synchronized (sessions) {
            return List.copyOf(sessions);
        }
    }

    /** The port of the (first) address the sink answers on. */
    public int port() {
        return servers.get(0).getLocalPort();
    }

    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** The next mail transaction (of whichever connection comes first) fails this way; several queue up. */
    public void failNext(Fault fault) {
        faults.add(fault);
    }

    /** RCPT TO this address gets a permanent {@code 550 5.1.1}: the mailbox does not exist. */
    public void rejectRecipient(String address) {
        rejectedRecipients.add(address.toLowerCase(Locale.ROOT));
    }

    /** How many SMTP connections the sink has accepted so far, without copying the sessions. */
    public int connectionCount() {
        return connectionCount.get();
    }

    /** How many TLS handshakes (STARTTLS) completed so far: one per encrypted connection. */
    public int tlsHandshakeCount() {
        return tlsHandshakeCount.get();
    }

    /** How many mails the sink has received, without copying them. */
    public int count() {
        return received.size();
    }

    private void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.add(socket);
                executor.submit(() -> serve(socket));
            } catch (IOException e) {
                if (!server.isClosed()) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private void serve(Socket socket) {
        Session session = new Session(socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort());
        sessions.add(session);
        connectionCount.incrementAndGet();
        Socket current = socket;
        try {
            BufferedReader in = reader(current);
            OutputStream out = current.getOutputStream();
            reply(out, "220 relayguard-sink ESMTP");
            String mailFrom = null;
            String mailCommand = null;
            List<String> rcptTo = new ArrayList<>();
            List<String> rcptCommands = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                line = utf8(line);
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                boolean encrypted = !session.tls.equals(CLEAR_TEXT);
                String command = line.toUpperCase().startsWith("STARTTLS") ? "STARTTLS" : verb.trim();
                session.commands.add(encrypted ? "tls:" + command : command);
                switch (verb) {
                    case "EHLO":
                        reply(out, ehloReply(tls.isPresent() && !encrypted));
                        break;
                    case "HELO":
                        reply(out, "250 relayguard-sink");
                        break;
                    case "STAR":
                        if (tls.isEmpty() || encrypted) {
                            reply(out, "502 5.5.2 command not implemented");
                            break;
                        }
                        reply(out, "220 2.0.0 Ready to start TLS");
                        SSLSocket secure = (SSLSocket) tls.get().getSocketFactory().createSocket(current, null, current.getPort(), true);
                        secure.setUseClientMode(false);
                        current = secure;
                        try {
                            secure.startHandshake();
                        } catch (IOException e) {
                            session.tlsFailure = e.toString();
                            return;
                        }
                        session.tls = secure.getSession().getProtocol();
                        tlsHandshakeCount.incrementAndGet();
                        in = reader(secure);
                        out = secure.getOutputStream();
                        // RFC 3207: after the handshake, nothing said before counts.
                        mailFrom = null;
                        rcptTo.clear();
                        rcptCommands.clear();
                        break;
                    case "MAIL":
                        if (faults.remove(Fault.SERVICE_NOT_AVAILABLE)) {
                            reply(out, "421 4.3.2 relayguard-sink closing the connection");
                            return;
                        }
                        mailFrom = path(line);
                        mailCommand = line;
                        rcptTo.clear();
                        rcptCommands.clear();
                        reply(out, "250 2.1.0 OK");
                        break;
                    case "RCPT":
                        if (mailFrom == null) {
                            reply(out, "503 5.5.1 MAIL first");
                        } else if (deferred.test(path(line))) {
                            reply(out, "451 4.3.0 try again later");
                        } else if (rejectedRecipients.contains(path(line).toLowerCase(Locale.ROOT))) {
                            reply(out, "550 5.1.1 <" + path(line) + ">: no such mailbox");
                        } else {
                            rcptTo.add(path(line));
                            rcptCommands.add(line);
                            reply(out, "250 2.1.5 OK");
                        }
                        break;
                    case "DATA":
                        if (rcptTo.isEmpty()) {
                            reply(out, "503 5.5.1 RCPT first");
                            break;
                        }
                        reply(out, "354 end with <CRLF>.<CRLF>");
                        if (faults.remove(Fault.DROP_IN_DATA)) {
                            in.readLine();
                            return;
                        }
                        byte[] message = readData(in);
                        if (message == null) {
                            // The client went away before the final dot: the mail was not handed over.
                            return;
                        }
                        received.add(new Received(mailFrom, rcptTo, message, session.tls, mailCommand, rcptCommands, session.server));
                        mailFrom = null;
                        rcptTo.clear();
                        rcptCommands.clear();
                        reply(out, "250 2.0.0 queued");
                        break;
                    case "RSET":
                        mailFrom = null;
                        rcptTo.clear();
                        rcptCommands.clear();
                        reply(out, "250 2.0.0 OK");
                        break;
                    case "NOOP":
                        reply(out, "250 2.0.0 OK");
                        break;
                    case "QUIT":
                        reply(out, "221 2.0.0 bye");
                        return;
                    default:
                        reply(out, "502 5.5.2 command not implemented");
                }
            }
        } catch (SocketException | SSLException e) {
            // the client went away, or dropped the TLS session
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                current.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            connections.remove(socket);
            session.ended = true;
        }
    }

    /** Lines of bytes, one char per byte (ISO-8859-1), so that a message's bytes can be had back exactly; commands are read as UTF-8 ({@link #utf8}). */
    private static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
    }

    /** A line read one char per byte, as the UTF-8 text it is (SMTPUTF8 commands). */
    private static String utf8(String line) {
        return line.chars().allMatch(c -> c < 0x80) ? line : new String(line.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /** The address between the angle brackets of MAIL FROM / RCPT TO; empty for the null sender. */
    private static String path(String line) {
        int open = line.indexOf('<');
        int close = line.indexOf('>', open + 1);
        if (open < 0 || close < 0) {
            return line.substring(line.indexOf(':') + 1).trim();
        }
        return line.substring(open + 1, close);
    }

    /** The message up to the final dot; null when the connection ends first, as a real server discards it. */
    private static byte[] readData(BufferedReader in) throws IOException {
        StringBuilder message = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals(".")) {
                return message.toString().getBytes(StandardCharsets.ISO_8859_1);
            }
            message.append(line.startsWith("..") ? line.substring(1) : line).append("\r\n");
        }
        return null;
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        servers.forEach(SmtpSink::closeQuietly);
        for (Socket connection : connections) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        executor.shutdownNow();
    }
}
