/**
 * The Relay Guard webadmin routes and their Guice module: the classes an operator names in
 * {@code webadmin.properties} ({@code extensions.routes}) and {@code extensions.properties}
 * ({@code guice.extension.module}). They stay in this package under these names so that a
 * {@code conf/} written for an earlier release still boots after an upgrade; each route only decodes
 * the request and answers, the quarantine being read and judged in
 * {@link org.relayguard.webadmin.quarantine} and the answers shaped in {@link org.relayguard.webadmin.dto}.
 */
package org.relayguard.webadmin;
