/**
 * The DomainList kept in the database, so that domains added through webadmin survive restarts,
 * and the copy in memory that answers it on embedded Derby.
 */
package org.relayguard.server.domainlist;
