/**
 * The running gateway as the routes need to know it, read from {@code mailetcontainer.xml} where
 * James reads it: the allowed {@code X-OriginatorOrg} values, the tenants, the mode and the profile.
 * Read once, when Guice builds the routes ({@code RelayGuardWebAdminModule}), as James reads the file
 * once: a change needs a restart.
 */
package org.relayguard.webadmin.configuration;
