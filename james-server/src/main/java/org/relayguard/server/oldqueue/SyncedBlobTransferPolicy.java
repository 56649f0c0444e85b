package org.relayguard.server.oldqueue;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;

import javax.jms.JMSException;

import org.apache.activemq.blob.BlobDownloadStrategy;
import org.apache.activemq.blob.BlobTransferPolicy;
import org.apache.activemq.blob.BlobUploadStrategy;
import org.apache.activemq.command.ActiveMQBlobMessage;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.queue.activemq.FileSystemBlobStrategy;
import org.apache.james.queue.activemq.FileSystemBlobTransferPolicy;

/**
 * Where the queue keeps message bodies: files under {@code var/store/activemq/blob-transfer/}, as
 * James's ActiveMQ queue does, but each file is forced to disk ({@code fsync}) before the queue
 * entry that points to it is written. KahaDB syncs its journal on every write; without this the
 * body of a mail acknowledged with {@code 250} could still be only in the page cache, and a power
 * loss would leave a queue entry whose body is gone (James then discards the mail).
 */
final class SyncedBlobTransferPolicy extends FileSystemBlobTransferPolicy {
    static final String UPLOAD_URL = "file://var/store/activemq/blob-transfer";

    private final FileSystem fileSystem;
    private SyncedBlobStrategy strategy;

    SyncedBlobTransferPolicy(FileSystem fileSystem) {
        this.fileSystem = fileSystem;
        setFileSystem(fileSystem);
        setDefaultUploadUrl(UPLOAD_URL);
    }

    @Override
    public BlobTransferPolicy copy() {
        SyncedBlobTransferPolicy copy = new SyncedBlobTransferPolicy(fileSystem);
        copy.setDefaultUploadUrl(getDefaultUploadUrl());
        copy.setBrokerUploadUrl(getBrokerUploadUrl());
        copy.setUploadUrl(getUploadUrl());
        copy.strategy = strategy();
        return copy;
    }

    @Override
    protected BlobUploadStrategy createUploadStrategy() {
        return strategy();
    }

    @Override
    protected BlobDownloadStrategy createDownloadStrategy() {
        return strategy();
    }

    private synchronized SyncedBlobStrategy strategy() {
        if (strategy == null) {
            strategy = new SyncedBlobStrategy(this, fileSystem);
        }
        return strategy;
    }

    /** James's file strategy (naming, reading, deleting), with the body synced when written. */
    static final class SyncedBlobStrategy extends FileSystemBlobStrategy {
        /** Sub-directories the bodies are spread over, as in James's policy. */
        private static final int SPLIT_COUNT = 10;

        SyncedBlobStrategy(BlobTransferPolicy policy, FileSystem fileSystem) {
            super(policy, fileSystem, SPLIT_COUNT);
        }

        @Override
        public URL uploadStream(ActiveMQBlobMessage message, InputStream in) throws JMSException, IOException {
            File file = getFile(message);
            try (in; FileOutputStream out = new FileOutputStream(file)) {
                in.transferTo(out);
                out.getFD().sync();
            }
            return file.toURI().toURL();
        }
    }
}
