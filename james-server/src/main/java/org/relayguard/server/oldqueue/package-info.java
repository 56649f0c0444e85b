/**
 * The previous release's mail queue (James's ActiveMQ Classic queue under {@code var/store/activemq})
 * and the upgrade that moves its mail into the Artemis queues at the first start. Kept for upgrades
 * from that release and for {@code -Drelayguard.queue=activemq}; nothing outside this package uses it
 * but {@code RelayGuardServerMain.queueModule}. Delete it in one step (this package, those lines and
 * its tests in {@code src/test/.../oldqueue}) in the release whose notes require an upgrade through a
 * release with the Artemis queue first, so that no installation can still hold mail in the old store.
 */
package org.relayguard.server.oldqueue;
