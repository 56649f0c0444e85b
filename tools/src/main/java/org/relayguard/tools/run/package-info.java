/**
 * What {@code ./run.sh} runs in Java: the layout of its server root run/ ({@link org.relayguard.tools.run.RunRoot}),
 * what it says once James is up ({@link org.relayguard.tools.run.RunSummary}), and the demo ({@code --demo}), which sends the gateway every row of SPEC's decision table and shows
 * where each mail went the way an operator reads it back.
 */
package org.relayguard.tools.run;
