/**
 * CHUNKING (RFC 3030 BDAT) on James's SMTP listeners: the frame decoder that reads a chunk's bytes
 * as bytes, the BDAT command and its parser, and the assembly of chunks into the lines James's DATA
 * pipeline reads.
 */
package org.relayguard.smtp.chunking;
