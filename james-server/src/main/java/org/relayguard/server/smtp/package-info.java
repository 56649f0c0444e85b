/**
 * James's SMTP listeners as the Relay Guard server builds them: James's SMTP server with the
 * extension's CHUNKING frame decoder in place of James's line framer.
 */
package org.relayguard.server.smtp;
