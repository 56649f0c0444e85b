package org.relayguard.tools.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The directories the tools make for themselves under the system's temporary directory (a James
 * server root, a cluster root) when the caller names none. They are recorded, so that whoever runs
 * the tools in bulk (the end-to-end tests) can remove those of a run that passed and keep those of
 * one that failed, whose logs say why. The tools themselves remove nothing: an operator's demo or
 * load run keeps its roots for reading.
 */
public final class ScratchDirectories {
    private static final List<Path> CREATED = new ArrayList<>();

    private ScratchDirectories() {
    }

    /** A fresh directory {@code /tmp/PREFIX…} (java.io.tmpdir), recorded. */
    public static Path create(String prefix) throws IOException {
        Path directory = Files.createTempDirectory(prefix);
        synchronized (CREATED) {
            CREATED.add(directory);
        }
        return directory;
    }

    /** The directories created since the last call, which are forgotten here. */
    public static List<Path> takeCreated() {
        synchronized (CREATED) {
            List<Path> created = List.copyOf(CREATED);
            CREATED.clear();
            return created;
        }
    }

    /** Removes a directory and everything below it; nothing when it is already gone. */
    public static void delete(Path directory) throws IOException {
        FileTrees.delete(directory);
    }
}
