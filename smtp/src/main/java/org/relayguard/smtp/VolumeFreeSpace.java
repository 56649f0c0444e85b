package org.relayguard.smtp;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;

import com.google.common.annotations.VisibleForTesting;

/**
 * The free space of the volume that holds the server's {@code var/} (the mail queues, their
 * bodies, the repositories), read at most once a second however many sessions ask: a MAIL
 * command costs no system call of its own. Shared by every listener; a gauge
 * ({@value #FREE_METRIC}) shows it on webadmin's {@code /metrics}.
 */
@Singleton
public class VolumeFreeSpace {
    public static final String FREE_METRIC = "relayguard_disk_space_free_bytes";
    static final String VAR = "file://var/";
    private static final long READ_EVERY_NANOS = 1_000_000_000L;

    private final Reader reader;
    private final LongSupplier nanoTime;
    private boolean read;
    private long readAt;
    private long free;

    /** Reads the volume's usable space; -1 when it cannot. */
    @FunctionalInterface
    interface Reader {
        long usableSpace();
    }

    @Inject
    public VolumeFreeSpace(FileSystem fileSystem, GaugeRegistry gauges) throws IOException {
        this(storeReader(fileSystem.getFile(VAR).toPath()), System::nanoTime);
        gauges.register(FREE_METRIC, this::bytes);
    }

    @VisibleForTesting
    VolumeFreeSpace(Reader reader, LongSupplier nanoTime) {
        this.reader = reader;
        this.nanoTime = nanoTime;
    }

    private static Reader storeReader(Path var) throws IOException {
        Path existing = var.toAbsolutePath();
        while (!Files.exists(existing) && existing.getParent() != null) {
            existing = existing.getParent();
        }
        FileStore store = Files.getFileStore(existing);
        return () -> {
            try {
                return store.getUsableSpace();
            } catch (IOException e) {
                return -1;
            }
        };
    }

    /** The usable bytes, as read within the last second; -1 when the volume cannot be read. */
    public synchronized long bytes() {
        long now = nanoTime.getAsLong();
        if (!read || now - readAt >= READ_EVERY_NANOS) {
            free = reader.usableSpace();
            readAt = now;
            read = true;
        }
        return free;
    }
}
