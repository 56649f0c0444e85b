package org.relayguard.tools.load;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

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
        /** Sent by BDAT (CHUNKING) when the relay offers it, by DATA otherwise, as Exchange Online does. */
        public final boolean bdat;
        /** Sent with {@code MAIL FROM:<…> SMTPUTF8} to an address only SMTPUTF8 carries ({@link MailKind#recipients(int, boolean)}). */
        public final boolean smtpUtf8;

        Mail(String id, MailKind kind, int n) {
            this(id, kind, n, false, false, false);
        }

        Mail(String id, MailKind kind, int n, boolean allExchangeHeaders, boolean bdat, boolean smtpUtf8) {
            this.id = id;
            this.kind = kind;
            this.n = n;
            this.allExchangeHeaders = allExchangeHeaders;
            this.bdat = bdat;
            this.smtpUtf8 = smtpUtf8;
        }

        public byte[] message() {
            return kind.message(id, n, allExchangeHeaders, smtpUtf8);
        }

        public String sender() {
            return kind.envelopeSender(n);
        }

        public List<String> recipients() {
            return kind.recipients(n, smtpUtf8);
        }

        /** The same mail without SMTPUTF8: the ASCII recipient of its kind. */
        Mail inAscii() {
            return smtpUtf8 ? new Mail(id, kind, n, allExchangeHeaders, bdat, false) : this;
        }
    }

    /**
     * How mails are sent besides DATA and ASCII: a share of the mails from Microsoft 365 by BDAT in
     * chunks of {@value #BDAT_CHUNK} bytes (Exchange Online uses CHUNKING wherever it is offered), and a
     * share of all mails with SMTPUTF8. Shares in percent, given to the mails evenly (exact counts).
     */
    public static final class Extensions {
        /** What the load drivers send unless told otherwise: 30 % of the Microsoft 365 mails by BDAT, 5 % of all with SMTPUTF8. */
        public static final Extensions DEFAULT = new Extensions(30, 5);
        /** DATA and ASCII only. */
        public static final Extensions NONE = new Extensions(0, 0);
        public static final int BDAT_CHUNK = 4096;

        /** Of the mails from Microsoft 365. */
        public final int bdatPercent;
        /** Of all mails. */
        public final int smtpUtf8Percent;

        public Extensions(int bdatPercent, int smtpUtf8Percent) {
            if (bdatPercent < 0 || bdatPercent > 100 || smtpUtf8Percent < 0 || smtpUtf8Percent > 100) {
                throw new IllegalArgumentException("--bdat and --smtputf8 are percentages (0 to 100): " + bdatPercent + ", " + smtpUtf8Percent);
            }
            this.bdatPercent = bdatPercent;
            this.smtpUtf8Percent = smtpUtf8Percent;
        }

        /** Whether the {@code index}-th of a series (from 0) is one of the {@code percent} %: spread evenly, exactly that share of any prefix, rounded down. */
        static boolean picks(int percent, int index) {
            return (long) (index + 1) * percent / 100 != (long) index * percent / 100;
        }

        @Override
        public String toString() {
            return bdatPercent + " % of the mails from Microsoft 365 by BDAT (chunks of " + BDAT_CHUNK + " bytes, where CHUNKING is offered), "
                + smtpUtf8Percent + " % of all mails with SMTPUTF8";
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
        return mails(label, mix, count, seed, allExchangeHeaders, Extensions.NONE);
    }

    /** As {@link #mails(String, Mix, int, long, boolean)}, shares of them by BDAT and with SMTPUTF8. */
    public static List<Mail> mails(String label, Mix mix, int count, long seed, boolean allExchangeHeaders, Extensions extensions) {
        List<MailKind> kinds = mix.kinds(count, seed);
        List<Mail> mails = new ArrayList<>(count);
        int fromM365 = 0;
        for (int i = 0; i < count; i++) {
            MailKind kind = kinds.get(i);
            boolean bdat = kind.fromM365 && Extensions.picks(extensions.bdatPercent, fromM365++);
            mails.add(new Mail(label + "-" + i, kind, i, allExchangeHeaders, bdat, Extensions.picks(extensions.smtpUtf8Percent, i)));
        }
        return mails;
    }

    private final IntSupplier smtpPort;
    private final NextHops hops;
    private final int connections;
    private final int mailsPerConnection;
    private final Optional<SSLContext> startTls;
    private final AtomicInteger sentByBdat = new AtomicInteger();
    private final Set<String> sentInAscii = ConcurrentHashMap.newKeySet();

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

    /**
     * The next hops a load counts at offer SMTPUTF8, as Microsoft 365 and most MX hosts do: a
     * relay then carries the load's SMTPUTF8 mails as they are (to a next hop without it, a UTF-8
     * local part cannot be written and the mail bounces).
     */
    private LoadRun(IntSupplier smtpPort, NextHops hops, int connections, int mailsPerConnection, Optional<SSLContext> startTls) {
        hops.internet().offerSmtpUtf8(true);
        hops.smartHosts().forEach(sink -> sink.offerSmtpUtf8(true));
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
                Mail planned = mails.get(i);
                Session session = sessions.get(planned.kind.source());
                if (session == null || session.sent == mailsPerConnection) {
                    if (session != null) {
                        session.client.close();
                    }
                    session = new Session(SmtpClient.connect(smtpPort.getAsInt(), Optional.of(planned.kind.source()), Optional.empty()), startTls);
                    sessions.put(planned.kind.source(), session);
                }
                Mail mail = planned;
                if (planned.smtpUtf8 && !session.smtpUtf8) {
                    // No client can send it there: the ASCII twin goes instead, so every server gets as many mails.
                    sentInAscii.add(planned.id);
                    mail = planned.inAscii();
                }
                byte[] message = mail.message();
                String parameters = mail.smtpUtf8 ? "SMTPUTF8" : "";
                boolean bdat = mail.bdat && session.chunking;
                long before = System.nanoTime();
                SmtpClient.Reply reply = bdat
                    ? session.client.transactionByBdat(mail.sender(), parameters, mail.recipients(), message, Extensions.BDAT_CHUNK)
                    : session.client.transaction(mail.sender(), parameters, mail.recipients(), message);
                latencies[i] = System.nanoTime() - before;
                if (bdat) {
                    sentByBdat.incrementAndGet();
                }
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
        /** What the server offered in its EHLO reply. */
        final boolean chunking;
        final boolean smtpUtf8;
        int sent;

        Session(SmtpClient client, Optional<SSLContext> startTls) throws IOException {
            this.client = client;
            if (startTls.isPresent()) {
                client.startTls(startTls.get(), TestPki.GATEWAY_NAME);
            }
            List<String> keywords = client.command("EHLO client.example").expect(250).text.lines()
                .map(line -> line.length() > 4 ? line.substring(4).trim().toUpperCase(Locale.ROOT) : "")
                .collect(Collectors.toList());
            this.chunking = keywords.contains("CHUNKING");
            this.smtpUtf8 = keywords.contains("SMTPUTF8");
        }
    }

    /**
     * The mails as this load sent them: those picked for SMTPUTF8 that went to a server without it
     * (the plain baseline, a James without Relay Guard) as their ASCII twins.
     */
    public List<Mail> asSent(List<Mail> mails) {
        return mails.stream().map(mail -> sentInAscii.contains(mail.id) ? mail.inAscii() : mail).collect(Collectors.toList());
    }

    /** How many mails picked for SMTPUTF8 went without, to a server that does not offer it. */
    public int sentInAscii() {
        return sentInAscii.size();
    }

    /** How many mails this load has sent by BDAT so far (a mail picked for BDAT goes by DATA where CHUNKING is not offered). */
    public int sentByBdat() {
        return sentByBdat.get();
    }

    private int relayed() {
        return hops.internet().count() + hops.m365().count();
    }
}
