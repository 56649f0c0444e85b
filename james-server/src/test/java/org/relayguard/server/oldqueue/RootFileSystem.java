package org.relayguard.server.oldqueue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.james.filesystem.api.FileSystem;

/** James's {@code file://} URLs (relative to the server root) and {@code file:} ones (absolute), on a test's directory. */
final class RootFileSystem implements FileSystem {
    private final Path root;

    RootFileSystem(Path root) {
        this.root = root;
    }

    @Override
    public InputStream getResource(String url) throws IOException {
        return Files.newInputStream(getFile(url).toPath());
    }

    @Override
    public File getFile(String url) {
        if (url.startsWith("file://")) {
            return root.resolve(url.substring("file://".length())).toFile();
        }
        return Path.of(URI.create(url)).toFile();
    }

    @Override
    public File getBasedir() {
        return root.toFile();
    }
}
