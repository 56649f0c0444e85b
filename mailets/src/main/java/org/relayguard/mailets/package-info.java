/**
 * How mail leaves the gateway, on James's RemoteDelivery semantics: the routing mailets that conf
 * files name ({@link org.relayguard.mailets.TenantDelivery}, {@link org.relayguard.mailets.InternetDelivery}),
 * {@link org.relayguard.mailets.PooledDelivery} with its connection pool, and
 * {@link org.relayguard.mailets.SwitchableNull}, the off switch of the quarantine route's discard.
 */
package org.relayguard.mailets;
