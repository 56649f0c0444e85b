/**
 * The mailets an operator names in {@code mailetcontainer.xml}: the decision log and its switch
 * ({@code LogDecision}, {@code SwitchableNull}) and the delivery of relayed mail.
 */
package org.relayguard.mailets;
