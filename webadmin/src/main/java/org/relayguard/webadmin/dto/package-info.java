/**
 * What the Relay Guard routes take and give: their query parameters, checked strictly
 * ({@link org.relayguard.webadmin.dto.ReportParameters}, {@link org.relayguard.webadmin.dto.MailFilter}),
 * and their JSON answers (the report, the review page's listing, its rows and one mail's details).
 * The getters, public fields and {@code @JsonPropertyOrder} here are the API the review page and
 * operators' scripts read: renaming one changes that API.
 */
package org.relayguard.webadmin.dto;
