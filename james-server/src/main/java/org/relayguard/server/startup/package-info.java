/**
 * Checks James runs before the listeners start, that stop a server whose host cannot serve what its
 * configuration promises (TLS's own check is in {@code org.relayguard.server.tls}).
 */
package org.relayguard.server.startup;
