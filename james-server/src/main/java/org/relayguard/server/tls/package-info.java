/**
 * TLS of the server's own connections: the listeners' key material checked at start-up, and the
 * private certificate authorities delivery trusts besides the JDK's.
 */
package org.relayguard.server.tls;
