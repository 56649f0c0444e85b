/**
 * The server's mail queues on an embedded Apache ActiveMQ Artemis broker, with their Guice wiring:
 * the broker, the queues (enqueue, the consumer, management), the mail bodies and envelopes they
 * store, and the health check.
 */
package org.relayguard.server.queue;
