package org.relayguard.tools.load;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.relayguard.tools.harness.JamesServer;

/**
 * What the load drivers of {@code ./perf.sh} share: their options (those all read alike in
 * {@link #load}), and a {@code main} that prints the usage for {@code --help}, runs the driver and
 * exits 1 when an accounting was not exact.
 */
abstract class Driver {
    /** How long one run of a driver's mails may take to be accepted and relayed. */
    static final Duration ROUND_TIMEOUT = Duration.ofMinutes(30);

    protected final Map<String, String> options;
    protected final LoadOptions load;

    /** The driver's defaults of {@code --mails}, {@code --rounds} and {@code --warmup}. */
    Driver(Map<String, String> options, int mails, int rounds, int warmup) {
        this.options = options;
        this.load = LoadOptions.read(options, mails, rounds, warmup);
    }

    /**
     * A driver's {@code main}. The drivers run from the checkout: James's server root is the one
     * {@code james-server} builds unless {@code -Drelayguard.james.server.dir} says otherwise.
     */
    static void main(String[] args, String usage, Function<Map<String, String>, Driver> driver, String... flags) throws Exception {
        Map<String, String> options = DriverArguments.parse(args, flags);
        if (options.containsKey("help")) {
            System.out.println(usage);
            return;
        }
        if (System.getProperty(JamesServer.SERVER_DIR_PROPERTY) == null) {
            System.setProperty(JamesServer.SERVER_DIR_PROPERTY, "james-server/target/james-server");
        }
        System.exit(driver.apply(options).run() ? 0 : 1);
    }

    /** Runs the driver; false when an accounting was not exact. */
    abstract boolean run() throws Exception;

    /** A gateway of one fork of a driver that starts its gateways afresh in each fork. */
    interface ForkGateway extends AutoCloseable {
        String name();

        /** Sends the mails and waits until they are relayed; only {@code measured} ones count. */
        void send(List<LoadRun.Mail> mails, boolean measured) throws InterruptedException;

        /** Where every mail sent in this fork went, once the queues are empty. */
        Accounting account();

        @Override
        void close();
    }

    /** The warm-up of a fork: the same mails to each gateway, not measured. */
    static void warmUp(Collection<? extends ForkGateway> gateways, List<LoadRun.Mail> mails) throws InterruptedException {
        for (ForkGateway gateway : gateways) {
            gateway.send(mails, false);
        }
    }

    /** Adds each gateway's accounting of fork {@code fork} (from 0) to {@code accountings}; whether all were exact. */
    static boolean account(Collection<? extends ForkGateway> gateways, int fork, List<String> accountings) {
        boolean exact = true;
        for (ForkGateway gateway : gateways) {
            Accounting accounting = gateway.account();
            accountings.add("Accounting " + gateway.name() + ", fork " + (fork + 1) + ": " + accounting);
            exact &= accounting.isExact();
        }
        return exact;
    }

    /** Closes each gateway of a fork. */
    static void close(Collection<? extends ForkGateway> gateways) {
        for (ForkGateway gateway : gateways) {
            gateway.close();
        }
    }

    /** A number option, or its default. */
    protected int option(String name, int defaultValue) {
        return LoadOptions.number(options, name, defaultValue);
    }
}
