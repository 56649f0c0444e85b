/**
 * {@code ./cluster.sh} and the cluster tests (docs/cluster.md): PostgreSQL, Relay Guard nodes sharing
 * it, and HAProxy in front of them, started and stopped together on 127.0.0.1.
 */
package org.relayguard.tools.cluster;
