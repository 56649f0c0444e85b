/**
 * Handlers for James's SMTP server, named in {@code smtpserver.xml}, and their helpers: what the session
 * says about a mail (XOORG, TLS, the client's host name) recorded for the mail processing, and what a
 * listener refuses (MAIL before STARTTLS, Exchange Online's relay, connections over their limits or
 * deadlines, mail when the disk runs low).
 */
package org.relayguard.smtp;
