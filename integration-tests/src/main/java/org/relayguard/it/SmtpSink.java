package org.relayguard.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The next hop: an SMTP server on loopback that accepts every mail James relays to it and keeps
 * the envelope and the message as received.
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
        public final String message;

        Received(String mailFrom, List<String> rcptTo, String message) {
            this.mailFrom = mailFrom;
            this.rcptTo = List.copyOf(rcptTo);
            this.message = message;
        }

        /** The first value of a header, or "(none)". */
        public String header(String name) {
            return Outcomes.headerOf(message, name);
        }
    }

    private final ServerSocket server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "smtp-sink");
        thread.setDaemon(true);
        return thread;
    });
    // Not copy-on-write: a load run adds tens of thousands of mails, and each add would copy them all.
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());

    public static SmtpSink start() {
        return start(0);
    }

    public static SmtpSink start(int port) {
        try {
            return new SmtpSink(new ServerSocket(port, 50, InetAddress.getLoopbackAddress()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SmtpSink(ServerSocket server) {
        this.server = server;
        executor.submit(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** How many mails the sink has received, without copying them. */
    public int count() {
        return received.size();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                executor.submit(() -> serve(socket));
            } catch (IOException e) {
                if (!server.isClosed()) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            reply(out, "220 relayguard-sink ESMTP");
            String mailFrom = null;
            List<String> rcptTo = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                switch (verb) {
                    case "EHLO":
                        reply(out, "250-relayguard-sink\r\n250-8BITMIME\r\n250 PIPELINING");
                        break;
                    case "HELO":
                        reply(out, "250 relayguard-sink");
                        break;
                    case "MAIL":
                        mailFrom = path(line);
                        rcptTo.clear();
                        reply(out, "250 2.1.0 OK");
                        break;
                    case "RCPT":
                        if (mailFrom == null) {
                            reply(out, "503 5.5.1 MAIL first");
                        } else {
                            rcptTo.add(path(line));
                            reply(out, "250 2.1.5 OK");
                        }
                        break;
                    case "DATA":
                        if (rcptTo.isEmpty()) {
                            reply(out, "503 5.5.1 RCPT first");
                            break;
                        }
                        reply(out, "354 end with <CRLF>.<CRLF>");
                        String message = readData(in);
                        if (message == null) {
                            // The client went away before the final dot: the mail was not handed over.
                            return;
                        }
                        received.add(new Received(mailFrom, rcptTo, message));
                        mailFrom = null;
                        rcptTo.clear();
                        reply(out, "250 2.0.0 queued");
                        break;
                    case "RSET":
                        mailFrom = null;
                        rcptTo.clear();
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
        } catch (SocketException e) {
            // the client went away
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
    private static String readData(BufferedReader in) throws IOException {
        StringBuilder message = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals(".")) {
                return message.toString();
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
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        executor.shutdownNow();
    }
}
