package org.relayguard.server.queue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.apache.activemq.artemis.core.config.ha.SharedStoreMasterPolicyConfiguration;
import org.apache.activemq.artemis.core.config.ha.SharedStoreSlavePolicyConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.config.storage.DatabaseStorageConfiguration;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.NodeManager;
import org.apache.activemq.artemis.core.server.impl.jdbc.JdbcNodeManager;
import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.relayguard.server.database.DatabaseConfiguration;

import com.google.common.base.Strings;

/**
 * A cluster node's queues in the database the nodes share ({@code relayguard.queue.store=database}
 * in {@code conf/james-database.properties}): Artemis's JDBC store, in tables of this node's own
 * ({@code relayguard_NODE_messages}, {@code _bindings}, {@code _large_messages},
 * {@code _node_manager}, and {@code rgqNODE} for paging), every message in its queue entry (no body files on
 * the node's disk), so that a mail acknowledged with {@code 250} is committed in the database.
 *
 * <p>The broker is the live half of an Artemis shared-store pair; the node manager table holds
 * its lease, renewed every {@link #LEASE_RENEW_MILLIS} ms and lost after
 * {@link #LEASE_EXPIRATION_MILLIS} ms without renewal. Each other node named in
 * {@code relayguard.queue.peers} runs the backup half for this store ({@link PeerStores}): when
 * this node stops renewing (killed, frozen, cut from the database), the backup takes the lease,
 * loads the store and moves its mail into its own node's queues. This node takes its store back
 * when it runs again (fail-back). Artemis fences the old live only at its next renewal, so a send
 * is confirmed only while the lease still has more than {@link #CLOCK_MARGIN_MILLIS} ms to run
 * ({@link #confirmOwnership}).</p>
 */
final class SharedQueueStore extends QueueStore {
    static final String STORE = "relayguard.queue.store";
    static final String NODE = "relayguard.queue.node";
    static final String PEERS = "relayguard.queue.peers";
    static final long LEASE_RENEW_MILLIS = 2_000;
    static final long LEASE_EXPIRATION_MILLIS = 10_000;
    /** The database's clock sets the lease's end, this JVM's clock reads it: room for a small difference. */
    static final long CLOCK_MARGIN_MILLIS = 1_000;
    /** Short: Artemis 2.27.1 allows a page store table name of at most 10 characters ({@code rgq} and the node's). */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{0,6}");
    private static final LeaseReader LEASE = LeaseReader.create();

    private final DatabaseConfiguration database;
    private final String node;
    private final List<String> peers;
    private final Path directory;

    private SharedQueueStore(DatabaseConfiguration database, String node, List<String> peers, Path directory) {
        this.database = database;
        this.node = node;
        this.peers = List.copyOf(peers);
        this.directory = directory;
    }

    /**
     * The store {@code james-database.properties} asks for: {@link QueueStore#LOCAL} unless
     * {@code relayguard.queue.store=database}. {@code directory} is the broker's local directory,
     * under which the backups of the peers' stores get theirs (Artemis wants one, the database store
     * writes nothing there).
     */
    static QueueStore from(Configuration file, Path directory) throws ConfigurationException {
        String store = Strings.nullToEmpty(file.getString(STORE)).trim().toLowerCase(Locale.ROOT);
        if (store.isEmpty() || store.equals("local")) {
            return LOCAL;
        }
        if (!store.equals("database")) {
            throw problem(STORE + " must be local or database, not '" + file.getString(STORE) + "'");
        }
        DatabaseConfiguration database = DatabaseConfiguration.from(file);
        if (database.isEmbedded()) {
            throw problem(STORE + "=database needs a database the nodes share (database.url), not embedded Derby");
        }
        String node = name(file.getString(NODE), NODE);
        List<String> peers = new ArrayList<>();
        for (String value : file.getStringArray(PEERS)) {
            for (String peer : value.split(",")) {
                if (peer.isBlank()) {
                    continue;
                }
                String name = name(peer, PEERS);
                if (name.equals(node) || peers.contains(name)) {
                    throw problem(PEERS + " names '" + name + "' twice or names this node (" + NODE + ")");
                }
                peers.add(name);
            }
        }
        if (LEASE == null) {
            throw problem(STORE + "=database: this Artemis release's lease lock cannot be read (needs Artemis 2.27.1)");
        }
        return new SharedQueueStore(database, node, peers, directory);
    }

    private static String name(String value, String key) throws ConfigurationException {
        String name = Strings.nullToEmpty(value).trim();
        if (!NAME.matcher(name).matches()) {
            throw problem(key + " must be a node name of lower-case letters and digits (at most 7, a letter first), not '"
                + Strings.nullToEmpty(value) + "'");
        }
        return name;
    }

    private static ConfigurationException problem(String text) {
        return new ConfigurationException("Mail queues, " + DatabaseConfiguration.FILE + ": " + text);
    }

    String node() {
        return node;
    }

    List<String> peers() {
        return peers;
    }

    @Override
    void configure(ConfigurationImpl configuration) {
        configuration.setStoreConfiguration(storage(node));
        // A clean stop hands the store to a backup too: a rolling restart holds no mail back.
        configuration.setHAPolicyConfiguration(new SharedStoreMasterPolicyConfiguration().setFailoverOnServerShutdown(true));
    }

    @Override
    boolean bodiesInFiles() {
        return false;
    }

    @Override
    void confirmOwnership(ActiveMQServer server) {
        long leaseEnd = LEASE.end(server.getNodeManager());
        long now = System.currentTimeMillis();
        if (leaseEnd - CLOCK_MARGIN_MILLIS <= now) {
            throw new IllegalStateException("The mail queue broker's lease on its store ran out (" + (now - leaseEnd)
                + " ms ago): another node may have taken the store over");
        }
    }

    @Override
    PeerStores peerStores(ArtemisMailQueueFactory own) {
        return new PeerStores(this, own);
    }

    /** The backup broker of a peer's store: no acceptor, reached through its server objects only. */
    ConfigurationImpl backupOf(String peer) {
        ConfigurationImpl configuration = new ConfigurationImpl();
        configuration.setName("relayguard-backup-of-" + peer);
        configuration.setPersistenceEnabled(true);
        configuration.setSecurityEnabled(false);
        configuration.setJMXManagementEnabled(false);
        configuration.setMaxDiskUsage(-1);
        Path local = directory.resolve("peers").resolve(peer);
        configuration.setJournalDirectory(local.resolve("journal").toString());
        configuration.setBindingsDirectory(local.resolve("bindings").toString());
        configuration.setPagingDirectory(local.resolve("paging").toString());
        configuration.setLargeMessagesDirectory(local.resolve("large-messages").toString());
        configuration.setStoreConfiguration(storage(peer));
        // Artemis's own fail-back needs a cluster connection between the brokers: PeerStores hands
        // the store back when its owner asks, and starts a new backup.
        configuration.setHAPolicyConfiguration(new SharedStoreSlavePolicyConfiguration()
            .setAllowFailBack(false)
            .setRestartBackup(false)
            .setFailoverOnServerShutdown(true));
        return configuration;
    }

    private DatabaseStorageConfiguration storage(String owner) {
        DatabaseStorageConfiguration storage = new DatabaseStorageConfiguration();
        storage.setJdbcConnectionUrl(database.url());
        storage.setJdbcDriverClassName(database.driverClassName());
        if (!database.username().isEmpty()) {
            storage.setJdbcUser(database.username());
            storage.setJdbcPassword(database.password());
        }
        String prefix = "relayguard_" + owner + "_";
        storage.setMessageTableName(prefix + "messages");
        storage.setBindingsTableName(prefix + "bindings");
        storage.setLargeMessageTableName(prefix + "large_messages");
        storage.setPageStoreTableName("rgq" + owner);
        storage.setNodeManagerStoreTableName(prefix + "node_manager");
        storage.setJdbcLockRenewPeriodMillis(LEASE_RENEW_MILLIS);
        storage.setJdbcLockExpirationMillis(LEASE_EXPIRATION_MILLIS);
        // A statement that hangs (a cut link) fails within the lease, as Artemis recommends.
        storage.setJdbcNetworkTimeout((int) LEASE_EXPIRATION_MILLIS);
        return storage;
    }

    /**
     * When the live lease of a broker ends, by this JVM's clock: Artemis 2.27.1 keeps it in its JDBC
     * node manager's live lock, which it does not publish.
     */
    private static final class LeaseReader {
        private final Field liveLock;
        private final Method lock;
        private final Method localExpirationTime;

        private LeaseReader(Field liveLock, Method lock, Method localExpirationTime) {
            this.liveLock = liveLock;
            this.lock = lock;
            this.localExpirationTime = localExpirationTime;
        }

        static LeaseReader create() {
            try {
                String jdbc = JdbcNodeManager.class.getPackageName();
                Field liveLock = JdbcNodeManager.class.getDeclaredField("scheduledLiveLock");
                Method lock = Class.forName(jdbc + ".ScheduledLeaseLock").getDeclaredMethod("lock");
                Method expiration = Class.forName(jdbc + ".LeaseLock").getDeclaredMethod("localExpirationTime");
                liveLock.setAccessible(true);
                lock.setAccessible(true);
                expiration.setAccessible(true);
                return new LeaseReader(liveLock, lock, expiration);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        /** 0 (long past) when there is no live lease: not live, or not a JDBC node manager. */
        long end(NodeManager nodeManager) {
            if (!(nodeManager instanceof JdbcNodeManager)) {
                return 0;
            }
            try {
                Object scheduled = liveLock.get(nodeManager);
                if (scheduled == null) {
                    return 0;
                }
                long end = (long) localExpirationTime.invoke(lock.invoke(scheduled));
                return Math.max(end, 0);
            } catch (ReflectiveOperationException e) {
                return 0;
            }
        }
    }
}
