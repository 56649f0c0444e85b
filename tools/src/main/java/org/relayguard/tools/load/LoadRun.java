package org.relayguard.tools.load;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import javax.net.ssl.SSLContext;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.SmtpClient;
import org.relayguard.tools.harness.TestPki;
import org.relayguard.tools.harness.NextHops;

/**
 * Sends a list of mails to a running gateway over a number of concurrent SMTP clients, the way
 * Microsoft 365 and internet servers do: each client keeps a connection per source host open and
 * sends mail after mail on it, reconnecting after {@code mailsPerConnection} mails. Measures each
 * mail's SMTP transaction (MAIL FROM to the reply to the final dot) and the time until the next hop
 * has received what it should.
 */
public final class LoadRun {

    /** One mail of a run. */
    public static final class Mail {
        public final String id;
        public final MailKind kind;
        public final int n;

        /** Whether a mail from Microsoft 365 carries every header Exchange Online adds ({@link MailKind#message(String, int, boolean)}). */
        public final boolean allExchangeHeaders;

        Mail(String id, MailKind kind, int n) {
            this(id, kind, n, false);
        }

        Mail(String id, MailKind kind, int n, boolean allExchangeHeaders) {
            this.id = id;
            this.kind = kind;
            this.n = n;
            this.allExchangeHeaders = allExchangeHeaders;
        }

        public byte[] message() {
            return kind.message(id, n, allExchangeHeaders);
        }
    }

    /** What a run measured. */
    public static final class Result {
        public final int mails;
        /** From the first MAIL FROM to the last reply to DATA. */
        public final long smtpNanos;
        /** From the first MAIL FROM until the next hop had received every mail it should. */
        public final long endToEndNanos;
        /** Each mail's SMTP transaction, in nanoseconds. */
        public final long[] latencies;

        Result(int mails, long smtpNanos, long endToEndNanos, long[] latencies) {
            this.mails = mails;
            this.smtpNanos = smtpNanos;
            this.endToEndNanos = endToEndNanos;
            this.latencies = latencies;
        }
    }

    /** {@code count} mails in the proportions of {@code mix}, with ids {@code <label>-<i>}. */
    public static List<Mail> mails(String label, Mix mix, int count, long seed) {
        return mails(label, mix, count, seed, false);
    }

    /** As {@link #mails(String, Mix, int, long)}, the mails from Microsoft 365 with every Exchange Online header or not. */
    public static List<Mail> mails(String label, Mix mix, int count, long seed, boolean allExchangeHeaders) {
        List<MailKind> kinds = mix.kinds(count, seed);
        List<Mail> mails = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            mails.add(new Mail(label + "-" + i, kinds.get(i), i, allExchangeHeaders));
        }
        return mails;
    }

    private final IntSupplier smtpPort;
    private final NextHops hops;
    private final int connections;
    private final int mailsPerConnection;
    private final Optional<SSLContext> startTls;

    public LoadRun(JamesServer james, NextHops hops, int connections, int mailsPerConnection) {
        this(james::smtpPort, hops, connections, mailsPerConnection, Optional.empty());
    }

    /**
     * With {@code startTls}, each connection starts TLS before its first mail, trusting that
     * context and checking the gateway's name, as Exchange Online's connector with TLS does.
     */
    public LoadRun(JamesServer james, NextHops hops, int connections, int mailsPerConnection, Optional<SSLContext> startTls) {
        this(james::smtpPort, hops, connections, mailsPerConnection, startTls);
    }

    /** Sends to whatever listens on the port (a load balancer in front of several gateways) and counts at {@code hops}. */
    public LoadRun(IntSupplier smtpPort, NextHops hops, int connections, int mailsPerConnection) {
        this(smtpPort, hops, connections, mailsPerConnection, Optional.empty());
    }

    private LoadRun(IntSupplier smtpPort, NextHops hops, int connections, int mailsPerConnection, Optional<SSLContext> startTls) {
        this.smtpPort = smtpPort;
        this.hops = hops;
        this.connections = connections;
        this.mailsPerConnection = mailsPerConnection;
        this.startTls = startTls;
    }

    /**
     * Sends the mails and waits until the next hops hold {@code sinkTotalAfter} mails in all (it keeps
     * those of earlier runs), or fails after {@code timeout}.
     */
    public Result send(List<Mail> mails, int sinkTotalAfter, Duration timeout) throws InterruptedException {
        long[] latencies = new long[mails.size()];
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(connections);
        long start = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                running.add(clients.submit(() -> {
                    client(mails, next, latencies);
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("load run failed: " + e.getMessage(), e);
        } finally {
            clients.shutdownNow();
        }
        long smtpDone = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (relayed() < sinkTotalAfter) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the next hops received " + relayed() + " mails of " + sinkTotalAfter + " within " + timeout);
            }
            Thread.sleep(5);
        }
        return new Result(mails.size(), smtpDone - start, System.nanoTime() - start, latencies);
    }

    private void client(List<Mail> mails, AtomicInteger next, long[] latencies) throws IOException {
        Map<String, Session> sessions = new HashMap<>();
        try {
            for (int i = next.getAndIncrement(); i < mails.size(); i = next.getAndIncrement()) {
                Mail mail = mails.get(i);
                Session session = sessions.get(mail.kind.source());
                if (session == null || session.sent == mailsPerConnection) {
                    if (session != null) {
                        session.client.close();
                    }
                    session = new Session(SmtpClient.connect(smtpPort.getAsInt(), Optional.of(mail.kind.source()), Optional.empty()), startTls);
                    sessions.put(mail.kind.source(), session);
                }
                byte[] message = mail.message();
                long before = System.nanoTime();
                SmtpClient.Reply reply = session.client.transaction(mail.kind.envelopeSender(mail.n), mail.kind.recipients(mail.n), message);
                latencies[i] = System.nanoTime() - before;
                session.sent++;
                if (reply.code != 250) {
                    throw new IOException("mail " + mail.id + " refused: " + reply);
                }
            }
        } finally {
            for (Session session : sessions.values()) {
                session.client.close();
            }
        }
    }

    private static final class Session {
        final SmtpClient client;
        int sent;

        Session(SmtpClient client, Optional<SSLContext> startTls) throws IOException {
            this.client = client;
            if (startTls.isPresent()) {
                client.startTls(startTls.get(), TestPki.GATEWAY_NAME);
            }
            client.ehlo();
        }
    }

    private int relayed() {
        return hops.internet().count() + hops.m365().count();
    }
}
