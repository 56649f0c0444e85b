package org.relayguard.webadmin.configuration;

import java.util.Optional;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.relayguard.core.decision.DecisionLog;
import org.relayguard.core.parameters.StrictBoolean;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The mode ({@code audit} or {@code enforce}) and the profile of the running gateway, read where the
 * decision log reads them: the {@code enforce} and {@code profile} parameters of the deny
 * {@code LogDecision} in {@code mailetcontainer.xml} (entities and {@code ${env:…}} resolved), which
 * the shipped configuration gives the same expression as {@code SwitchableNull}'s {@code enabled}.
 * {@code unknown} when the configuration has no deny {@code LogDecision}: the review page then says so
 * rather than guess.
 */
@JsonPropertyOrder({"mode", "profile", "source"})
public final class GatewayMode {
    static final String UNKNOWN = "unknown";

    public static GatewayMode fromMailetContainer(HierarchicalConfiguration<ImmutableNode> mailetContainer) {
        for (HierarchicalConfiguration<ImmutableNode> mailet : mailetContainer.configurationsAt("processors.processor.mailet")) {
            if (ConfiguredTenants.LOG_DECISION.equals(mailet.getString("[@class]", "").trim())
                && "deny".equalsIgnoreCase(mailet.getString("decision", "").trim())) {
                String mode = StrictBoolean.parse(mailet.getString("enforce", "")).map(DecisionLog::mode).orElse(UNKNOWN);
                String profile = Optional.ofNullable(mailet.getString("profile")).map(String::trim).filter(value -> !value.isEmpty()).orElse(UNKNOWN);
                return new GatewayMode(mode, profile, "mailetcontainer.xml, LogDecision decision=deny");
            }
        }
        return new GatewayMode(UNKNOWN, UNKNOWN, "mailetcontainer.xml has no LogDecision with decision=deny");
    }

    public static GatewayMode of(String mode, String profile) {
        return new GatewayMode(mode, profile, "given");
    }

    private final String mode;
    private final String profile;
    private final String source;

    private GatewayMode(String mode, String profile, String source) {
        this.mode = mode;
        this.profile = profile;
        this.source = source;
    }

    /** {@code audit}, {@code enforce} or {@code unknown}. */
    public String getMode() {
        return mode;
    }

    public String getProfile() {
        return profile;
    }

    public String getSource() {
        return source;
    }

    public boolean enforce() {
        return mode.equals(DecisionLog.ENFORCE_MODE);
    }
}
