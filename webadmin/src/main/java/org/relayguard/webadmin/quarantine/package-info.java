/**
 * The quarantine read and judged: each quarantined mail read once into a {@link
 * org.relayguard.webadmin.quarantine.MailSummary} ({@link org.relayguard.webadmin.quarantine.QuarantineSummaries},
 * shared by the report and the review page), and the report's one pass over those summaries
 * ({@link org.relayguard.webadmin.quarantine.QuarantineScan}) with the bounded tallies it fills: groups,
 * not-allowed values and their standing as suggestions, the what-if. Jackson writes those tallies as
 * the parts of the report, so their getters are JSON field names too.
 */
package org.relayguard.webadmin.quarantine;
