/**
 * The load runs of {@code ./perf.sh} (docs/performance.md, docs/postfix-comparison.md): drivers that
 * send a mix of mails to gateways, the plain pipeline and the Postfix peer they are compared with,
 * the accounting of where every mail went, and where a gateway's CPU went (a JFR recording's summary).
 */
package org.relayguard.tools.load;
