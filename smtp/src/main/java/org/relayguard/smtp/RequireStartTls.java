package org.relayguard.smtp;

import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opt-in hardening of one listener: no mail transaction before STARTTLS. {@code MAIL} in a
 * session that has not started TLS gets {@code 530 5.7.0 Must issue a STARTTLS command first}
 * (RFC 3207, section 4); after STARTTLS it goes on as usual. Without {@code MAIL} there is no
 * {@code RCPT} nor {@code DATA}, so nothing of a mail crosses that listener in clear text.
 * James 3.8.1 has no such option of its own ({@code auth.requireSSL} concerns AUTH only).
 *
 * <p>Exchange Online's outbound connector with "Always use TLS" always starts TLS; internet
 * senders often do not, so enable it only on a listener that Microsoft 365 alone uses. On a
 * listener without STARTTLS ({@code <tls startTLS="false">}) every {@code MAIL} is refused, and
 * the handler says so in James's log.</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.RequireStartTls"/>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class RequireStartTls implements MailHook {
    static final String REPLY_CODE = "530";
    static final String REPLY_TEXT = DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.SECURITY_OTHER)
        + " Must issue a STARTTLS command first";

    private static final Logger LOGGER = LoggerFactory.getLogger(RequireStartTls.class);
    private static final HookResult MUST_START_TLS = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode(REPLY_CODE)
        .smtpDescription(REPLY_TEXT)
        .build();

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (session.isTLSStarted()) {
            return HookResult.DECLINED;
        }
        if (!session.isStartTLSSupported()) {
            LOGGER.error("RequireStartTls refuses every MAIL on this listener: it offers no STARTTLS (smtpserver.xml <tls startTLS=\"true\">)");
        } else {
            LOGGER.info("Refused MAIL before STARTTLS from {}", session.getRemoteAddress());
        }
        return MUST_START_TLS;
    }
}
