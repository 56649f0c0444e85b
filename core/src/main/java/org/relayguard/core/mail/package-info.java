/**
 * What Relay Guard reads from a mail and records on it: the header names, the one normal form in which
 * header values are compared, the {@code From:} domains, and the mail attribute names its SMTP handlers
 * set. Kept apart from {@code decision} and {@code tenants}, which both read these names, so that
 * neither depends on the other for a constant.
 */
package org.relayguard.core.mail;
