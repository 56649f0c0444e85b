/**
 * The mailets an operator names in {@code mailetcontainer.xml}, and how mail leaves through them:
 * the decision log and the quarantine route's off switch ({@link org.relayguard.mailets.LogDecision},
 * {@link org.relayguard.mailets.SwitchableNull}); the routing mailets
 * ({@link org.relayguard.mailets.TenantDelivery}, {@link org.relayguard.mailets.InternetDelivery}) and
 * {@link org.relayguard.mailets.PooledDelivery} with its connection pool, on James's RemoteDelivery
 * semantics. The delivery internals stay package-private here because only these mailets use them.
 */
package org.relayguard.mailets;
