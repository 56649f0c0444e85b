/**
 * The server's database: its configuration ({@code conf/james-database.properties}), the JPA
 * persistence unit, and the {@code jpa://} mail repositories that gateways sharing it share.
 */
package org.relayguard.server.database;
