/**
 * Starting and stopping the real servers the tools run beside the JVM (James, HAProxy, PostgreSQL,
 * Postfix): one base for a server process and its stop on the JVM's exit, running a command to its
 * end, free and listening loopback ports, and the pause between two polls.
 */
package org.relayguard.tools.process;
