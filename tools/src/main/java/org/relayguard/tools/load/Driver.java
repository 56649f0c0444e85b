package org.relayguard.tools.load;

import java.util.Map;
import java.util.function.Function;

import org.relayguard.tools.harness.JamesServer;

/**
 * What the load drivers of {@code ./perf.sh} share: their options, and a {@code main} that prints
 * the usage for {@code --help}, runs the driver and exits 1 when an accounting was not exact.
 */
abstract class Driver {
    protected final Map<String, String> options;

    Driver(Map<String, String> options) {
        this.options = options;
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

    /** A number option, or its default. */
    protected int option(String name, int defaultValue) {
        return Integer.parseInt(options.getOrDefault(name, String.valueOf(defaultValue)));
    }
}
