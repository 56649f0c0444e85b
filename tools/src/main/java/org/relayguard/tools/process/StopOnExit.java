package org.relayguard.tools.process;

/**
 * Stops a server this JVM started (James, PostgreSQL, HAProxy, Postfix) when the JVM ends first:
 * they run as separate processes, which do not end with it (Ctrl-C on the demo or a script, an
 * interrupted test run), and none may outlive its caller. {@link #cancel()} when the server was
 * closed normally, so that the JVM keeps no hook per server it ever started.
 */
final class StopOnExit {
    private final String name;
    private final Runnable stop;
    private Thread hook;

    /** {@code name} names the hook's thread ("stop-james"); {@code stop} must be safe to run twice. */
    StopOnExit(String name, Runnable stop) {
        this.name = name;
        this.stop = stop;
    }

    /** Registers the hook, once. */
    synchronized void arm() {
        if (hook == null) {
            hook = new Thread(stop, name);
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** Removes the hook; nothing when the JVM is already exiting (then the hook runs or has run). */
    synchronized void cancel() {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs
        }
        hook = null;
    }
}
