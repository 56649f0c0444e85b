package org.relayguard.tools.process;

/** The one way the tools wait between two looks at something they poll (a log, a port, a queue). */
public final class Pause {
    private Pause() {
    }

    /** Sleeps; an interrupt keeps the thread's flag and ends the wait with a failure. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
