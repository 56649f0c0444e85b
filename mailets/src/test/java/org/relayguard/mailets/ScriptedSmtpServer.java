package org.relayguard.mailets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A next hop for unit tests: a real SMTP server on 127.0.0.1, on a port of its own, that keeps
 * what it received and counts the connections it saw, and that can be told to misbehave on a
 * given transaction (reply {@code 421} and close, or close without a word), or to refuse given
 * recipients with {@code 550}. The mailets module cannot use the project's SmtpSink (tools
 * depends on the server, which depends on this module).
 */
final class ScriptedSmtpServer implements AutoCloseable {
    /** What the server does when a transaction's MAIL FROM arrives, or after its final dot. */
    enum Misbehaviour { NONE, REPLY_421_AND_CLOSE_AT_MAIL_FROM, CLOSE_SILENTLY_AT_MAIL_FROM, CLOSE_SILENTLY_AFTER_DOT }

    /** Decides, for the {@code transaction}-th MAIL FROM (from 1, over all connections), how to misbehave. */
    interface Script {
        Misbehaviour at(int transaction);
    }

    static final class Received {
        final String sender;
        final List<String> recipients;
        final int connection;

        Received(String sender, List<String> recipients, int connection) {
            this.sender = sender;
            this.recipients = List.copyOf(recipients);
            this.connection = connection;
        }
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "scripted-smtp");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpenAtOnce = new AtomicInteger();
    private final AtomicInteger quits = new AtomicInteger();
    private final AtomicInteger transactions = new AtomicInteger();
    private volatile Script script = transaction -> Misbehaviour.NONE;
    private volatile Set<String> refused = Set.of();

    ScriptedSmtpServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    ScriptedSmtpServer misbehaving(Script script) {
        this.script = script;
        return this;
    }

    ScriptedSmtpServer refusing(String... recipients) {
        this.refused = Set.of(recipients);
        return this;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    int connectionCount() {
        return connections.get();
    }

    int openConnections() {
        return open.get();
    }

    int mostConnectionsOpenAtOnce() {
        return mostOpenAtOnce.get();
    }

    int quitCount() {
        return quits.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                int number = connections.incrementAndGet();
                mostOpenAtOnce.accumulateAndGet(open.incrementAndGet(), Math::max);
                threads.execute(() -> converse(socket, number));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void converse(Socket socket, int connection) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            reply(out, "220 next-hop.test ESMTP");
            String sender = null;
            List<String> recipients = new ArrayList<>();
            Misbehaviour misbehaviour = Misbehaviour.NONE;
            String line;
            while ((line = in.readLine()) != null) {
                String command = line.toUpperCase();
                if (command.startsWith("EHLO")) {
                    reply(out, "250-next-hop.test\r\n250-8BITMIME\r\n250 SIZE 10485760");
                } else if (command.startsWith("HELO")) {
                    reply(out, "250 next-hop.test");
                } else if (command.startsWith("MAIL FROM:")) {
                    misbehaviour = script.at(transactions.incrementAndGet());
                    if (misbehaviour == Misbehaviour.REPLY_421_AND_CLOSE_AT_MAIL_FROM) {
                        reply(out, "421 4.3.2 next-hop.test closing the connection");
                        return;
                    }
                    if (misbehaviour == Misbehaviour.CLOSE_SILENTLY_AT_MAIL_FROM) {
                        return;
                    }
                    sender = between(line, "<", ">");
                    recipients.clear();
                    reply(out, "250 2.1.0 OK");
                } else if (command.startsWith("RCPT TO:")) {
                    String recipient = between(line, "<", ">");
                    if (refused.contains(recipient)) {
                        reply(out, "550 5.1.1 <" + recipient + ">: no such user");
                    } else {
                        recipients.add(recipient);
                        reply(out, "250 2.1.5 OK");
                    }
                } else if (command.equals("DATA")) {
                    reply(out, "354 go ahead");
                    while ((line = in.readLine()) != null && !line.equals(".")) {
                        // the message itself is not what these tests look at
                    }
                    if (misbehaviour == Misbehaviour.CLOSE_SILENTLY_AFTER_DOT) {
                        return;
                    }
                    received.add(new Received(sender, recipients, connection));
                    reply(out, "250 2.0.0 queued");
                } else if (command.equals("RSET") || command.equals("NOOP")) {
                    reply(out, "250 2.0.0 OK");
                } else if (command.equals("QUIT")) {
                    quits.incrementAndGet();
                    reply(out, "221 2.0.0 bye");
                    return;
                } else {
                    reply(out, "502 5.5.2 not implemented");
                }
            }
        } catch (SocketException e) {
            // the client went away
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            open.decrementAndGet();
        }
    }

    private static String between(String line, String start, String end) {
        int from = line.indexOf(start);
        int to = line.indexOf(end, from + 1);
        return from < 0 || to < 0 ? "" : line.substring(from + 1, to);
    }

    private static void reply(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
