package org.relayguard.smtp;

import java.util.List;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.MailAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.base.Ascii;
import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableList;

/**
 * The XOORG ESMTP extension: Exchange's SMTP client adds {@code XOORG=<organization>} to
 * {@code MAIL FROM} when the server lists {@code XOORG} in its EHLO reply. The value is the tenant
 * the mail comes from, set by the service rather than by the message, so unlike
 * {@code X-OriginatorOrg} the sending tenant cannot forge it on a connection that really comes
 * from Exchange Online.
 *
 * <p>This handler advertises {@code XOORG} on the listener whose handler chain lists it, accepts
 * the parameter (xtext-decoded; it must be a domain name, see {@link OrgDomain}) and stores its
 * canonical form in the mail attribute {@code org.relayguard.xoorg} ({@link MailAttributes#XOORG}),
 * which {@code org.relayguard.matchers.XoorgNotEquals} reads. A malformed or repeated value is refused
 * with {@code 501} and nothing is stored. When James refuses a MAIL command it forgets its sender;
 * the XOORG of that command is forgotten with it, so it can never stick to a later transaction.</p>
 *
 * <p>A client on any connection can type {@code XOORG}: the value only means something on
 * connections that the mail processing has identified as Exchange Online.</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.XoorgExtension"/>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class XoorgExtension implements EhloExtension, MailParametersHook, JamesMessageHook, ProtocolHandlerResultHandler<Response, SMTPSession> {
    public static final String KEYWORD = "XOORG";

    private static final Logger LOGGER = LoggerFactory.getLogger(XoorgExtension.class);
    private static final ProtocolSession.AttachmentKey<String> XOORG =
        ProtocolSession.AttachmentKey.of(MailAttributes.XOORG.asString(), String.class);
    private static final HookResult MALFORMED = InvalidArgument.because("XOORG value must be a domain name");
    private static final HookResult REPEATED = InvalidArgument.because("XOORG given more than once");
    private static final CharMatcher PRINTABLE = CharMatcher.inRange(' ', '~');
    private static final int MAX_LOGGED_LENGTH = 100;


    @Override
    public List<String> getImplementedEsmtpFeatures(SMTPSession session) {
        return ImmutableList.of(KEYWORD);
    }

    @Override
    public String[] getMailParamNames() {
        return new String[] {KEYWORD};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        if (session.getAttachment(XOORG, State.Transaction).isPresent()) {
            LOGGER.info("Refused MAIL with more than one XOORG from {}", session.getRemoteAddress());
            return REPEATED;
        }
        Optional<String> organization = Xtext.decode(paramValue).flatMap(OrgDomain::canonical);
        if (organization.isEmpty()) {
            LOGGER.info("Refused malformed XOORG '{}' from {}", loggable(paramValue), session.getRemoteAddress());
            return MALFORMED;
        }
        LOGGER.debug("XOORG {} from {}", organization.get(), session.getRemoteAddress());
        session.setAttachment(XOORG, organization.get(), State.Transaction);
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        session.getAttachment(XOORG, State.Transaction)
            .ifPresent(organization -> mail.setAttribute(new Attribute(MailAttributes.XOORG, AttributeValue.of(organization))));
        return HookResult.DECLINED;
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        if (handler instanceof MailCmdHandler && !SMTPRetCode.MAIL_OK.equals(response.getRetCode())) {
            session.removeAttachment(XOORG, State.Transaction);
        }
        return response;
    }

    /** The client's text, kept to one short printable line in the log. */
    private static String loggable(String value) {
        return Ascii.truncate(PRINTABLE.negate().replaceFrom(value, '?'), MAX_LOGGED_LENGTH, "...");
    }
}
