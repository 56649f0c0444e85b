/**
 * The JMH benchmarks of the matchers' cost per mail (run by {@code ./perf.sh}, built but not run by
 * {@code mvn verify}): each matcher against James's nearest stock matcher on the same mails, and the
 * mails they run on. Figures go to docs/performance.md with the command, the date and the load.
 */
package org.relayguard.benchmarks;
