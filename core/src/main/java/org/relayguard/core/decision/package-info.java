/**
 * Relay Guard's decisions about a mail: which rule denied it and why (the reason, judged from the
 * evidence the mail carries), and the decision log's line that records each decision. The mailet
 * {@code LogDecision}, the SMTP handlers and the webadmin review write and judge decisions through it.
 */
package org.relayguard.core.decision;
