/**
 * The Microsoft 365 tenants behind the gateway, from the one tenants description every component
 * reads: who owns which domain, where its mail goes, and which tenant a mail comes from.
 */
package org.relayguard.core.tenants;
