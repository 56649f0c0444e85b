package org.relayguard.core.decision;

import java.util.Collection;
import java.util.List;

/**
 * How the {@code X-OriginatorOrg} clause of the relay-deny rule
 * ({@code HeaderNotEquals=X-OriginatorOrg:<allowed values>}) judges a mail, with the reason when it
 * denies. It is the clause an operator acts on (the allowed list), so the decision log and the
 * quarantine report name it; it applies the same rule as {@code HeaderNotEquals}.
 */
public enum OrgClause {
    /** No {@code X-OriginatorOrg} header: denied. */
    ABSENT("org-absent"),
    /** Every instance is a value that is not allowed: denied. */
    NOT_ALLOWED("org-not-allowed"),
    /** At least one instance is allowed and another is not, typically a forged extra instance: denied. */
    MIXED_INSTANCES("org-mixed-instances"),
    /** Every instance is allowed: this clause lets the mail through. */
    ALLOWED("org-allowed");

    private final String token;

    OrgClause(String token) {
        this.token = token;
    }

    /**
     * @param instances the normalised instances of the header ({@link HeaderValues#instances})
     * @param allowed the normalised allowed values ({@link HeaderValues#normaliseList})
     */
    public static OrgClause evaluate(List<String> instances, Collection<String> allowed) {
        if (instances.isEmpty()) {
            return ABSENT;
        }
        long allowedInstances = instances.stream().filter(allowed::contains).count();
        if (allowedInstances == instances.size()) {
            return ALLOWED;
        }
        return allowedInstances == 0 ? NOT_ALLOWED : MIXED_INSTANCES;
    }

    /** The name written in the decision log and the report, e.g. {@code org-not-allowed}. */
    public String token() {
        return token;
    }

    public boolean denies() {
        return this != ALLOWED;
    }
}
