/**
 * Who may reach webadmin: the {@code Host} values it answers (a filter against DNS rebinding) and
 * the RSA key pair and command ({@code bin/relayguard-token}) that make the tokens its
 * authentication accepts. Named in {@code webadmin.properties} and {@code bin/}: the names stay.
 */
package org.relayguard.webadmin.access;
