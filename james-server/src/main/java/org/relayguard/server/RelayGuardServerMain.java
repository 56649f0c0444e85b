package org.relayguard.server;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;

import org.apache.james.ExtraProperties;
import org.apache.james.FakeSearchMailboxModule;
import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerMain;
import org.apache.james.MemoryJamesConfiguration;
import org.apache.james.MemoryJamesServerMain;
import org.apache.james.lifecycle.api.StartUpCheck;
import org.apache.james.modules.RunArgumentsModule;
import org.apache.james.modules.server.JMXServerModule;
import org.relayguard.server.database.DatabaseModule;
import org.relayguard.server.database.JpaMailRepositoryModule;
import org.relayguard.server.domainlist.DurableDomainListModule;
import org.relayguard.server.oldqueue.DurableMailQueueModule;
import org.relayguard.server.oldqueue.OldQueueMigrationModule;
import org.relayguard.server.queue.ArtemisMailQueueModule;
import org.relayguard.server.smtp.ChunkingSmtpServerFactory;
import org.relayguard.server.startup.FileDescriptorCheck;
import org.relayguard.server.startup.HeaderBytesCheck;
import org.relayguard.server.tls.DeliveryTrust;
import org.relayguard.server.tls.ListenerTlsCheck;

import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.util.Modules;

/**
 * The Relay Guard gateway server: James 3.8.1's memory server, module for module, with the two
 * parts that would lose state replaced by James's durable ones: every mail queue
 * ({@link ArtemisMailQueueModule}, on embedded Apache ActiveMQ Artemis) and the DomainList ({@link DurableDomainListModule}). The
 * quarantine is a {@code file://} repository by default, or a {@code jpa://} one in the database
 * that several gateways share ({@link JpaMailRepositoryModule}).
 *
 * <p>What the memory server would lose and this one keeps: mail acknowledged with {@code 250}
 * and still in the spool or waiting in a delivery queue for a retry (a restart, or a crash: the
 * queue's journal is written before the {@code 250}), and the domains added through webadmin.
 * Start it as James's own mains: {@code java -Dworking.directory=ROOT -cp 'lib/*'
 * org.relayguard.server.RelayGuardServerMain}.</p>
 */
public final class RelayGuardServerMain implements JamesServerMain {

    /**
     * {@code -Drelayguard.queue=activemq} composes the previous releases' queue
     * ({@link DurableMailQueueModule}, ActiveMQ Classic under {@code var/store/activemq}) instead of
     * the Artemis one: only for the upgrade test, which needs a store that release wrote, and for a
     * rollback to it. Not for service (its retries hold up due mail, issue 20).
     */
    public static final String QUEUE_PROPERTY = "relayguard.queue";

    /** What makes the memory server a mail relay that loses nothing. */
    public static Module durableTransport() {
        return Modules.combine(
            queueModule(System.getProperty(QUEUE_PROPERTY, "artemis")),
            new DatabaseModule(),
            new DurableDomainListModule(),
            new JpaMailRepositoryModule());
    }

    static Module queueModule(String queue) {
        switch (queue) {
            case "artemis":
                return Modules.combine(new ArtemisMailQueueModule(), new OldQueueMigrationModule());
            case "activemq":
                LOGGER.warn("{}=activemq: the mail queues are the previous release's ActiveMQ Classic store (var/store/activemq)", QUEUE_PROPERTY);
                return new DurableMailQueueModule();
            default:
                throw new IllegalArgumentException("RelayGuardServerMain: " + QUEUE_PROPERTY + " must be artemis or activemq");
        }
    }

    /**
     * Checks run before the listeners start: each one's TLS key material can be read
     * ({@link ListenerTlsCheck}); the process may open a file for every connection the listeners
     * accept ({@link FileDescriptorCheck}); javax.mail reads header bytes as they are ({@link HeaderBytesCheck}).
     */
    public static final Module START_UP_CHECKS = binder -> {
        Multibinder<StartUpCheck> checks = Multibinder.newSetBinder(binder, StartUpCheck.class);
        checks.addBinding().to(ListenerTlsCheck.class);
        checks.addBinding().to(FileDescriptorCheck.class);
        checks.addBinding().to(HeaderBytesCheck.class);
    };

    private RelayGuardServerMain() {
    }

    /**
     * James 3.8.1 reads it once, when its first listener starts: true (its default) looks every
     * client's host name up, for the log's MDC, on the I/O thread that serves the connection.
     */
    static final String MDC_HOSTNAME_PROPERTY = "james.protocols.mdc.hostname";

    public static void main(String[] args) throws Exception {
        ExtraProperties.initialize();
        // conf/jvm.properties says so too, for James's stock servers; here even without that file.
        System.getProperties().putIfAbsent(MDC_HOSTNAME_PROPERTY, "false");
        MemoryJamesConfiguration configuration = MemoryJamesConfiguration.builder()
            .useWorkingDirectoryEnvProperty()
            .build();
        placeDerbyUnder(configuration.directories().getRootDirectory());
        trustSmartHostCas(Path.of(configuration.directories().getRootDirectory()));

        LOGGER.info("Loading configuration {}", configuration);
        try {
            JamesServerMain.main(createServer(configuration)
                .combineWith(new FakeSearchMailboxModule(), new JMXServerModule(), START_UP_CHECKS)
                .overrideWith(durableTransport(), ChunkingSmtpServerFactory.MODULE, new RunArgumentsModule(args)));
        } catch (Throwable e) {
            // James logged why ("Fatal error while starting James"); threads it started (the queue
            // broker's) must not keep a server alive that never listens.
            System.exit(1);
        }
    }

    /** {@link DeliveryTrust}, before anything opens a TLS connection; a file it cannot use stops the server. */
    private static void trustSmartHostCas(Path root) {
        try {
            DeliveryTrust.install(Optional.ofNullable(System.getenv(DeliveryTrust.VARIABLE)), root);
        } catch (IOException | GeneralSecurityException e) {
            LOGGER.error("Fatal error while starting James: {}", e.getMessage(), e);
            System.exit(1);
        }
    }

    public static GuiceJamesServer createServer(MemoryJamesConfiguration configuration) {
        return MemoryJamesServerMain.createServer(configuration);
    }

    /**
     * Embedded Derby resolves a relative database path against its system home, which is the
     * directory the JVM started in unless set: make it the server root, as every other path of
     * James's configuration is, and keep Derby's own log beside its database.
     */
    static void placeDerbyUnder(String root) throws IOException {
        if (System.getProperty("derby.system.home") == null) {
            System.setProperty("derby.system.home", new File(root).getAbsolutePath());
        }
        if (System.getProperty("derby.stream.error.file") == null) {
            Path store = Path.of(System.getProperty("derby.system.home"), "var", "store");
            Files.createDirectories(store);
            System.setProperty("derby.stream.error.file", store.resolve("derby.log").toString());
        }
    }
}
