package org.relayguard.server.queue;

/**
 * Work on the mail queues that must be done once the broker runs and before anything dequeues
 * ({@link MailQueues} runs each at its start; one that fails stops the broker and the server).
 * The upgrade from the previous release's queue is one.
 */
@FunctionalInterface
public interface QueueStartTask {
    void run(ArtemisMailQueueFactory queues);
}
