/**
 * {@code ./run.sh --demo}: the gateway started from run/, sent every row of SPEC's decision table,
 * and where each mail went shown the way an operator reads it back.
 */
package org.relayguard.tools.demo;
