package org.relayguard.smtp;

import javax.net.ssl.SSLSession;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.MailAttributes;

/**
 * Records on each mail whether its SMTP session was encrypted: the mail attribute
 * {@code org.relayguard.tls} ({@link MailAttributes#TLS}) holds the negotiated TLS protocol
 * ({@code TLSv1.3}, {@code TLSv1.2}), or {@value #NONE} for a session in clear text. James 3.8.1
 * keeps this nowhere once the session ends (its Received header says {@code ESMTP} either way), and
 * the decision log
 * ({@code LogDecision}, key {@code tls}) and webadmin's attributes show it to the operator.
 *
 * <p>The value is a String: mail attributes cross James's mail queues as JSON. A mail without the
 * attribute came through a listener whose handler chain does not list this handler (or from a
 * mailet): its TLS state is unknown, which is not the same as {@value #NONE}.</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.TlsSessionAttribute"/>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class TlsSessionAttribute implements JamesMessageHook {
    public static final String NONE = "none";

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        String state = session.getSSLSession()
            .map(SSLSession::getProtocol)
            .orElse(NONE);
        mail.setAttribute(new Attribute(MailAttributes.TLS, AttributeValue.of(state)));
        return HookResult.DECLINED;
    }
}
