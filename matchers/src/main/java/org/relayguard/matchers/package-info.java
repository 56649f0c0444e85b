/**
 * The matchers an operator names in {@code mailetcontainer.xml} ({@code org.relayguard.matchers.X=condition}),
 * with their small private helpers; the model they judge with (tenants, DNS names, header values)
 * is in {@code relayguard-core}.
 */
package org.relayguard.matchers;
