package org.relayguard.webadmin.configuration;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.relayguard.core.mail.HeaderNames;
import org.relayguard.core.mail.HeaderValues;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;

/**
 * The organizations the running gateway allows, read from the same place James reads them: every
 * {@code org.relayguard.matchers.HeaderNotEquals=X-OriginatorOrg:…} and
 * {@code org.relayguard.matchers.XoorgNotEquals=…} condition in {@code mailetcontainer.xml}
 * (entities and {@code ${env:…}} resolved as for the matchers).
 *
 * <p>When several conditions list different values (the sample configuration uses one entity, so
 * they agree), only values that every condition allows count as allowed: a value one rule would
 * still deny is not reported as allowed.</p>
 */
public final class AllowedOrgs {
    static final String MATCHER = "org.relayguard.matchers.HeaderNotEquals";
    static final String XOORG_MATCHER = "org.relayguard.matchers.XoorgNotEquals";
    static final String HEADER = HeaderNames.ORIGINATOR_ORG.toLowerCase(Locale.ROOT);

    public static AllowedOrgs of(List<String> normalisedValues, String source) {
        return new AllowedOrgs(ImmutableSet.copyOf(normalisedValues), 0, source);
    }

    public static AllowedOrgs fromMailetContainer(HierarchicalConfiguration<ImmutableNode> mailetContainer) {
        List<List<String>> conditions = new ArrayList<>();
        for (HierarchicalConfiguration<ImmutableNode> processor : mailetContainer.configurationsAt("processors.processor")) {
            collect(processor, conditions);
        }
        if (conditions.isEmpty()) {
            return new AllowedOrgs(ImmutableSet.of(), 0,
                "mailetcontainer.xml has no " + MATCHER + "=X-OriginatorOrg:... nor " + XOORG_MATCHER + " condition");
        }
        Set<String> common = new LinkedHashSet<>(conditions.get(0));
        conditions.forEach(common::retainAll);
        return new AllowedOrgs(ImmutableSet.copyOf(common), conditions.size(),
            "mailetcontainer.xml, " + conditions.size() + " condition" + (conditions.size() > 1 ? "s" : "")
                + " " + MATCHER + "=X-OriginatorOrg:... or " + XOORG_MATCHER);
    }

    private static void collect(HierarchicalConfiguration<ImmutableNode> element, List<List<String>> conditions) {
        for (String child : List.of("mailet", "matcher")) {
            for (HierarchicalConfiguration<ImmutableNode> node : element.configurationsAt(child)) {
                orgCondition(node.getString("[@match]")).ifPresent(conditions::add);
                orgCondition(node.getString("[@notmatch]")).ifPresent(conditions::add);
                collect(node, conditions);
            }
        }
    }

    /** The values of {@code HeaderNotEquals=X-OriginatorOrg:<values>} or {@code XoorgNotEquals=<values>}, parsed as the matchers parse them. */
    private static Optional<List<String>> orgCondition(String match) {
        if (match != null && match.trim().startsWith(XOORG_MATCHER + "=")) {
            return Optional.of(HeaderValues.normaliseList(match.trim().substring(XOORG_MATCHER.length() + 1)));
        }
        if (match == null || !match.trim().startsWith(MATCHER + "=")) {
            return Optional.empty();
        }
        String condition = match.trim().substring(MATCHER.length() + 1);
        int colon = condition.indexOf(':');
        if (colon < 0 || !condition.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(HEADER)) {
            return Optional.empty();
        }
        return Optional.of(HeaderValues.normaliseList(condition.substring(colon + 1)));
    }

    private final Set<String> values;
    private final int conditions;
    private final String source;

    private AllowedOrgs(Set<String> values, int conditions, String source) {
        this.values = values;
        this.conditions = conditions;
        this.source = source;
    }

    /** Normalised values (lower case, whitespace collapsed), in configuration order. */
    public Set<String> values() {
        return values;
    }

    public List<String> asList() {
        return ImmutableList.copyOf(values);
    }

    public boolean contains(String normalisedValue) {
        return values.contains(normalisedValue);
    }

    int conditions() {
        return conditions;
    }

    public String source() {
        return source;
    }
}
