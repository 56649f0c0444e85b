/**
 * What the end-to-end tests and the operator tools drive a gateway with: a real James 3.8.1 started
 * as its own process on a server root of its own ({@link org.relayguard.tools.harness.JamesServer}),
 * an SMTP client, SMTP sinks as next hops, webadmin over HTTP, a test PKI, and readers of where
 * each mail went.
 */
package org.relayguard.tools.harness;
