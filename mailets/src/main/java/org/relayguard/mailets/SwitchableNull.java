package org.relayguard.mailets;

import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.relayguard.core.parameters.StrictBoolean;

import com.google.common.collect.ImmutableSet;

/**
 * James's {@code Null} with an off switch: the Proofpoint <em>Delivery Method</em> of the
 * {@code m365_relaydeny} rule. With {@code enabled=true} the mail is discarded (state
 * {@code ghost}); with {@code enabled=false} it does nothing and the mail goes on (audit mode).
 *
 * <p>Parameter {@code enabled} is required and must be exactly {@code true} or {@code false}
 * (any case): a typo must not silently pick a mode. Unknown parameters are refused.</p>
 *
 * <pre>{@code
 * <mailet match="All" class="org.relayguard.mailets.SwitchableNull">
 *     <enabled>false</enabled>
 * </mailet>
 * }</pre>
 */
public class SwitchableNull extends GenericMailet {
    static final String NAME = "SwitchableNull";
    static final String ENABLED = "enabled";

    private boolean enabled;

    @Override
    public void init() throws MessagingException {
        try {
            checkInitParameters(ImmutableSet.of(ENABLED));
        } catch (MessagingException e) {
            throw new MessagingException(NAME + ": " + e.getMessage());
        }
        enabled = parseEnabled(getInitParameterAsOptional(ENABLED));
    }

    private static boolean parseEnabled(Optional<String> value) throws MessagingException {
        String text = value.map(String::trim)
            .orElseThrow(() -> new MessagingException(NAME + ": parameter '" + ENABLED + "' is required (true to discard, false to audit)"));
        return StrictBoolean.parse(text)
            .orElseThrow(() -> new MessagingException(NAME + ": parameter '" + ENABLED + "' must be 'true' or 'false', got '" + text + "'"));
    }

    @Override
    public void service(Mail mail) {
        if (enabled) {
            mail.setState(Mail.GHOST);
        }
    }

    @Override
    public String getMailetInfo() {
        return NAME + " (enabled=" + enabled + ")";
    }
}
