/**
 * Private Postfix instances (the Debian package's) that the tools start beside a gateway: the peer
 * relay of {@code ./perf.sh peer}, and the sending MTA and receiving next hops of the end-to-end
 * tests, each with its own configuration, queue and log, and the reading of what they queued and logged.
 */
package org.relayguard.tools.postfix;
