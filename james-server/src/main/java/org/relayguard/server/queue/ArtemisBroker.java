package org.relayguard.server.queue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMAcceptorFactory;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMConnectorFactory;
import org.apache.activemq.artemis.core.remoting.impl.invm.TransportConstants;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressFullMessagePolicy;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Apache ActiveMQ Artemis broker that holds the mail queues, inside James's JVM. Reached
 * in the JVM only: no network acceptor. Its journal is synced on every write (transactional and
 * not), so a queued mail is on disk when the send returns, before James answers {@code 250}; in a
 * transaction, when its commit returns.
 * A message is redelivered as often as it takes (no dead-letter address), and none expires.
 *
 * <p>Where the journal is comes from its {@link QueueStore}: by default the files below; in a
 * cluster node with {@code relayguard.queue.store=database}, the database ({@link SharedQueueStore}).</p>
 *
 * <p>Files under the given directory: {@code journal/}, {@code bindings/}, {@code paging/},
 * {@code large-messages/}, and {@code mails/} for the message bodies ({@link MailBodies}).</p>
 *
 * <p>On a full disk: Artemis's own disk monitor ({@code max-disk-usage}) is off, because it would
 * block senders (an SMTP session would hang) rather than fail them; the SMTP handler
 * {@code DiskSpaceGuard} refuses new mail well before. An I/O error in the journal (a write on a
 * full disk) makes Artemis stop its server (its {@code IOCriticalErrorListener}); then this broker
 * starts it again in the JVM, every second until it starts, from the same journal: every mail it
 * had acknowledged comes back once, and the queues' senders and consumers reconnect.</p>
 */
public final class ArtemisBroker implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ArtemisBroker.class);
    private static final AtomicInteger IN_VM_IDS = new AtomicInteger(1_000);
    private static final long WATCH_PERIOD_MILLIS = 1_000;
    /** A send or an acknowledgement normally takes milliseconds: never hold an SMTP session for long. */
    private static final long CALL_TIMEOUT_MILLIS = 5_000;

    static final int JOURNAL_BUFFER_TIMEOUT_NANOS = 100_000;
    static final int LARGE_MESSAGE_SIZE = 1024 * 1024;

    private final Path directory;
    private final QueueStore store;
    private final ScheduledExecutorService watchdog;
    private volatile Instance instance;
    private volatile boolean closed;
    private Instant stoppedSince;
    private int restartAttempts;

    /** One run of the embedded server and the client factories that reach it. */
    private static final class Instance {
        private final long generation;
        private final EmbeddedActiveMQ embedded;
        private final ServerLocator locator;
        private final ClientSessionFactory sessions;
        private final ServerLocator transactedLocator;
        private final ClientSessionFactory transactedSessions;

        Instance(long generation, EmbeddedActiveMQ embedded, ServerLocator locator, ClientSessionFactory sessions,
                 ServerLocator transactedLocator, ClientSessionFactory transactedSessions) {
            this.generation = generation;
            this.embedded = embedded;
            this.locator = locator;
            this.sessions = sessions;
            this.transactedLocator = transactedLocator;
            this.transactedSessions = transactedSessions;
        }

        void closeClients() {
            transactedSessions.close();
            transactedLocator.close();
            sessions.close();
            locator.close();
        }

        void close() {
            closeClients();
            try {
                embedded.stop();
            } catch (Exception e) {
                LOGGER.debug("Stopping the mail queue broker", e);
            }
        }
    }

    public ArtemisBroker(Path directory) throws Exception {
        this(directory, QueueStore.LOCAL);
    }

    ArtemisBroker(Path directory, QueueStore store) throws Exception {
        this.directory = directory;
        this.store = store;
        this.instance = start(1);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mailqueue-broker-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.scheduleWithFixedDelay(this::restartIfStopped, WATCH_PERIOD_MILLIS, WATCH_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private Instance start(long generation) throws Exception {
        int serverId = IN_VM_IDS.incrementAndGet();
        EmbeddedActiveMQ embedded = new EmbeddedActiveMQ();
        embedded.setConfiguration(configuration(serverId));
        try {
            embedded.start();
        } catch (Exception e) {
            stopQuietly(embedded);
            throw e;
        }
        ServerLocator locator = locator(serverId, true, largeMessageSize());
        // A transacted session's commit is what confirms its sends and acknowledgements: they need
        // not each wait for the broker (and for the journal write it answers after) on their own.
        ServerLocator transactedLocator = locator(serverId, false, largeMessageSize());
        ClientSessionFactory sessions = null;
        try {
            sessions = locator.createSessionFactory();
            return new Instance(generation, embedded, locator, sessions, transactedLocator, transactedLocator.createSessionFactory());
        } catch (Exception e) {
            if (sessions != null) {
                sessions.close();
            }
            locator.close();
            transactedLocator.close();
            stopQuietly(embedded);
            throw e;
        }
    }

    /** In a shared store every entry, whatever its message's size, is one record: nothing is a file. */
    private int largeMessageSize() {
        return store.bodiesInFiles() ? LARGE_MESSAGE_SIZE : Integer.MAX_VALUE;
    }

    private static ServerLocator locator(int serverId, boolean blocking, int largeMessageSize) {
        ServerLocator locator = ActiveMQClient.createServerLocatorWithoutHA(new TransportConfiguration(InVMConnectorFactory.class.getName(),
            Map.of(TransportConstants.SERVER_ID_PROP_NAME, serverId)));
        // A consumer receives a message only when it asks for one: no mail sits in a consumer's buffer.
        locator.setConsumerWindowSize(0);
        locator.setBlockOnDurableSend(blocking);
        locator.setBlockOnAcknowledge(blocking);
        locator.setCallTimeout(CALL_TIMEOUT_MILLIS);
        // A queue entry (envelope, and a message of up to MailBodies.INLINE_LIMIT) stays one journal
        // record: the client would otherwise stream an entry over 100 KiB as a "large message".
        locator.setMinLargeMessageSize(largeMessageSize);
        return locator;
    }

    private ConfigurationImpl configuration(int serverId) {
        ConfigurationImpl configuration = new ConfigurationImpl();
        configuration.setName("relayguard");
        configuration.setPersistenceEnabled(true);
        configuration.setSecurityEnabled(false);
        configuration.setJMXManagementEnabled(false);
        configuration.setJournalType(JournalType.NIO);
        configuration.setJournalSyncTransactional(true);
        configuration.setJournalSyncNonTransactional(true);
        configuration.setJournalDatasync(true);
        // The NIO journal gathers writes for up to this long before one sync (Artemis's default is
        // 3.3 ms): every enqueue and every acknowledgement waits for a sync, so a mail paid two such
        // waits. A short window still gathers the writes of concurrent SMTP sessions into one sync.
        configuration.setJournalBufferTimeout_NIO(JOURNAL_BUFFER_TIMEOUT_NANOS);
        // Off: past it Artemis blocks every sender until the disk scan sees room, which would hang
        // SMTP sessions and the deliveries' retries. DiskSpaceGuard refuses new mail before.
        configuration.setMaxDiskUsage(-1);
        configuration.setJournalDirectory(directory.resolve("journal").toString());
        configuration.setBindingsDirectory(directory.resolve("bindings").toString());
        configuration.setPagingDirectory(directory.resolve("paging").toString());
        configuration.setLargeMessagesDirectory(directory.resolve("large-messages").toString());
        configuration.addAcceptorConfiguration(new TransportConfiguration(InVMAcceptorFactory.class.getName(),
            Map.of(TransportConstants.SERVER_ID_PROP_NAME, serverId)));
        configuration.addAddressSetting("#", new AddressSettings()
            .setMaxDeliveryAttempts(-1)
            .setDeadLetterAddress(null)
            .setExpiryAddress(null)
            .setRedeliveryDelay(0)
            .setAutoCreateAddresses(false)
            .setAutoCreateQueues(false)
            .setAutoDeleteAddresses(false)
            .setAutoDeleteQueues(false)
            .setAddressFullMessagePolicy(AddressFullMessagePolicy.PAGE));
        store.configure(configuration);
        return configuration;
    }

    private static void stopQuietly(EmbeddedActiveMQ embedded) {
        try {
            embedded.stop();
        } catch (Exception e) {
            LOGGER.debug("Stopping the mail queue broker", e);
        }
    }

    /** Runs every second: after Artemis stopped its server on an I/O error, starts it again. */
    private synchronized void restartIfStopped() {
        if (closed) {
            return;
        }
        Instance current = instance;
        ActiveMQServer.SERVER_STATE state = current.embedded.getActiveMQServer().getState();
        if (state == ActiveMQServer.SERVER_STATE.STARTED || state == ActiveMQServer.SERVER_STATE.STARTING) {
            return;
        }
        if (stoppedSince == null) {
            stoppedSince = Instant.now();
            restartAttempts = 0;
            LOGGER.error("The mail queue broker stopped (an I/O error in its store, such as a full disk, or a lost lease on a shared store); restarting it");
        }
        if (state == ActiveMQServer.SERVER_STATE.STOPPING) {
            return;
        }
        restartAttempts++;
        try {
            current.close();
            instance = start(current.generation + 1);
            LOGGER.warn("The mail queue broker runs again, {} s after it stopped ({} attempts)",
                Duration.between(stoppedSince, Instant.now()).toSeconds(), restartAttempts);
            stoppedSince = null;
        } catch (Exception e) {
            if (restartAttempts == 1) {
                LOGGER.error("The mail queue broker cannot start yet; trying again every second", e);
            }
        } catch (Error e) {
            LOGGER.error("The mail queue broker cannot start", e);
        }
    }

    public boolean isActive() {
        return instance.embedded.getActiveMQServer().isActive();
    }

    /** Grows by one at every restart: a session of an older one is dead. */
    long generation() {
        return instance.generation;
    }

    Path directory() {
        return directory;
    }

    boolean bodiesInFiles() {
        return store.bodiesInFiles();
    }

    /** Throws when a send that just returned may have been written to a store this broker no longer owns. */
    void confirmOwnership() {
        store.confirmOwnership(server());
    }

    ActiveMQServer server() {
        return instance.embedded.getActiveMQServer();
    }

    /** Sessions whose durable sends and acknowledgements each return once the journal holds them. */
    ClientSessionFactory sessions() {
        return instance.sessions;
    }

    /**
     * Sessions for transactions only: their sends and acknowledgements do not wait for the broker
     * each; the commit, which returns once the journal is synced, confirms them all (or fails).
     */
    ClientSessionFactory transactedSessions() {
        return instance.transactedSessions;
    }

    Queue queue(String name) {
        return server().locateQueue(SimpleString.toSimpleString(name));
    }

    @Override
    public void close() throws Exception {
        synchronized (this) {
            closed = true;
        }
        watchdog.shutdownNow();
        Instance current = instance;
        current.closeClients();
        current.embedded.stop();
    }
}
