/**
 * The Relay Guard server's entry points, the classes {@code bin/relayguard} and operators run by
 * name: {@link org.relayguard.server.RelayGuardServerMain}, which composes James's memory server with
 * the durable parts of the sub-packages and starts it, and the first start's
 * {@link org.relayguard.server.SelfSignedCertificate}. Their names are part of the operator's
 * interface: they do not move.
 */
package org.relayguard.server;
