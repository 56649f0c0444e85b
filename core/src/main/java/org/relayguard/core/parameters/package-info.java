/**
 * Strict reading of operator-written parameters and matcher conditions: comma-separated lists that
 * fail James's start-up naming the offending entry, and yes/no switches that accept only
 * {@code true} or {@code false}.
 */
package org.relayguard.core.parameters;
