package org.relayguard.server.queue;

import java.nio.file.Path;
import java.util.Map;
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

/**
 * The Apache ActiveMQ Artemis broker that holds the mail queues, inside James's JVM. Reached
 * in the JVM only: no network acceptor. Its journal is synced on every write (transactional and
 * not), so a queued mail is on disk when the send returns, before James answers {@code 250}.
 * A message is redelivered as often as it takes (no dead-letter address), and none expires.
 *
 * <p>Files under the given directory: {@code journal/}, {@code bindings/}, {@code paging/},
 * {@code large-messages/}, and {@code mails/} for the message bodies ({@link MailBodies}).</p>
 */
public final class ArtemisBroker implements AutoCloseable {
    private static final AtomicInteger IN_VM_IDS = new AtomicInteger(1_000);

    private final Path directory;
    private final EmbeddedActiveMQ embedded;
    private final ServerLocator locator;
    private final ClientSessionFactory sessions;

    static final int JOURNAL_BUFFER_TIMEOUT_NANOS = 100_000;
    static final int LARGE_MESSAGE_SIZE = 1024 * 1024;

    public ArtemisBroker(Path directory) throws Exception {
        this.directory = directory;
        int serverId = IN_VM_IDS.incrementAndGet();
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

        embedded = new EmbeddedActiveMQ();
        embedded.setConfiguration(configuration);
        embedded.start();

        locator = ActiveMQClient.createServerLocatorWithoutHA(new TransportConfiguration(InVMConnectorFactory.class.getName(),
            Map.of(TransportConstants.SERVER_ID_PROP_NAME, serverId)));
        // A consumer receives a message only when it asks for one: no mail sits in a consumer's buffer.
        locator.setConsumerWindowSize(0);
        locator.setBlockOnDurableSend(true);
        locator.setBlockOnAcknowledge(true);
        // A queue entry (envelope, and a message of up to MailBodies.INLINE_LIMIT) stays one journal
        // record: the client would otherwise stream an entry over 100 KiB as a "large message".
        locator.setMinLargeMessageSize(LARGE_MESSAGE_SIZE);
        sessions = locator.createSessionFactory();
    }

    public boolean isActive() {
        return embedded.getActiveMQServer().isActive();
    }

    Path directory() {
        return directory;
    }

    ActiveMQServer server() {
        return embedded.getActiveMQServer();
    }

    ClientSessionFactory sessions() {
        return sessions;
    }

    Queue queue(String name) {
        return server().locateQueue(SimpleString.toSimpleString(name));
    }

    @Override
    public void close() throws Exception {
        sessions.close();
        locator.close();
        embedded.stop();
    }
}
