package org.relayguard.tools.process;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server this JVM starts and must not leave running: James and HAProxy, each a child process in
 * the foreground with its output in a log, and PostgreSQL and Postfix, which their own commands
 * start in the background. The server is stopped when this JVM ends first (Ctrl-C on the demo or a
 * script, an interrupted test run); {@link #close()} stops it and drops that hook.
 *
 * <p>A child process stops as Ctrl-C or a service manager stops it: SIGTERM, so that its own
 * shutdown runs, and SIGKILL if it has not ended after 30 s. A server started by a command
 * overrides {@link #stop()} with the command that stops it.</p>
 */
public abstract class ServerProcess implements AutoCloseable {
    private final StopOnExit stopOnExit;
    private volatile Process child;

    /** {@code name} names the thread of the JVM exit hook, {@code stop-NAME}. */
    protected ServerProcess(String name) {
        this.stopOnExit = new StopOnExit("stop-" + name, this::stopAtJvmExit);
    }

    /**
     * Starts the child process, its output (standard error too) written to {@code log}, appended
     * or from the start, and has it stopped when this JVM ends first.
     */
    protected final synchronized Process startChild(ProcessBuilder builder, Path log, boolean append) throws IOException {
        stopWithJvm();
        child = builder.redirectErrorStream(true)
            .redirectOutput(append ? Redirect.appendTo(log.toFile()) : Redirect.to(log.toFile()))
            .start();
        return child;
    }

    /** Has the server stopped when this JVM ends first; for a server a command started in the background. */
    protected final void stopWithJvm() {
        stopOnExit.arm();
    }

    /** The child process of the last start until it is stopped; null before, after, and for a server without one. */
    protected final Process child() {
        return child;
    }

    /**
     * Waits until {@code ready} holds, looking every {@code pollMillis}. False when the child process
     * (if there is one) ended first or {@code timeout} passed, which {@code child().isAlive()} tells apart.
     */
    protected final boolean awaitReady(BooleanSupplier ready, Duration timeout, long pollMillis) {
        Instant deadline = Instant.now().plus(timeout);
        while (!ready.getAsBoolean()) {
            Process process = child;
            if (process != null && !process.isAlive() || Instant.now().isAfter(deadline)) {
                return false;
            }
            Pause.sleep(pollMillis);
        }
        return true;
    }

    /** Stops the server: SIGTERM to the child process, SIGKILL after 30 s. Safe to call twice. */
    public synchronized void stop() {
        endChild(process -> {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        });
    }

    /**
     * Kills the child process as {@code kill -9} does (SIGKILL): no shutdown hook runs, nothing is
     * closed properly.
     */
    public synchronized void kill() {
        endChild(process -> process.destroyForcibly().waitFor(30, TimeUnit.SECONDS));
    }

    /** Freezes the child process as {@code kill -STOP} does (SIGSTOP); {@link #resume()} lets it run on. */
    public void pause() throws IOException {
        signal("STOP");
    }

    /** {@code kill -CONT} (SIGCONT) to a child process {@link #pause()} froze. */
    public void resume() throws IOException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException {
        Process process = child;
        if (process == null) {
            throw new IllegalStateException("not running");
        }
        Commands.run(List.of("kill", "-" + signal, String.valueOf(process.pid())), Map.of(), 10);
    }

    /** How a child process is ended; waiting for it may be interrupted. */
    private interface Ending {
        void end(Process process) throws InterruptedException;
    }

    private synchronized void endChild(Ending ending) {
        Process process = child;
        if (process == null) {
            return;
        }
        try {
            ending.end(process);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        child = null;
    }

    public boolean isRunning() {
        Process process = child;
        return process != null && process.isAlive();
    }

    /** What the JVM exit hook runs: {@link #stop()}. */
    protected void stopAtJvmExit() {
        stop();
    }

    /** Stops the server and drops the JVM exit hook. */
    @Override
    public void close() {
        stop();
        stopOnExit.cancel();
    }
}
