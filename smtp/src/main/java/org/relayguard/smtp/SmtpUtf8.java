package org.relayguard.smtp;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.api.BaseRequest;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.relayguard.core.dns.IdnaNames;
import org.relayguard.core.mail.MailAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;

/**
 * SMTPUTF8 (RFC 6531) on a listener: {@code SMTPUTF8} in the EHLO reply, and MAIL FROM / RCPT TO
 * lines read as strict UTF-8 instead of James's US-ASCII (which turns every byte outside ASCII into
 * U+FFFD before any handler sees it).
 *
 * <p>Listed before {@code CoreCmdHandlerLoader}, this handler is the listener's command dispatcher
 * (James takes the first one in the chain). A MAIL or RCPT line with bytes outside ASCII is decoded
 * as UTF-8 and its path rewritten into the form James's {@code MailAddress} takes ({@link Utf8Path}:
 * the domain as A-labels, a UTF-8 local part quoted); James's own handlers then do the rest as for
 * any address. Refused instead:</p>
 * <ul>
 * <li>bytes that are not UTF-8: {@code 501 5.5.2};</li>
 * <li>an address outside ASCII without {@code SMTPUTF8} on this transaction's MAIL FROM:
 *     {@code 553 5.6.7} (RFC 6531 3.7.4.1), quoted local parts included;</li>
 * <li>a domain that is not a valid internationalized name ({@link IdnaNames#toALabels}):
 *     {@code 553 5.1.7} (sender) or {@code 553 5.1.3} (recipient).</li>
 * </ul>
 * <p>The mail gets the attribute {@code org.relayguard.smtputf8} ({@link MailAttributes#SMTPUTF8},
 * {@code true}) when MAIL FROM said {@code SMTPUTF8}, and {@code org.relayguard.smtputf8.addresses}
 * ({@link MailAttributes#SMTPUTF8_ADDRESSES}) with the UTF-8 form of each rewritten address, which
 * delivery sends to a next hop that offers SMTPUTF8. Other commands are read as James reads them.</p>
 *
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.relayguard.smtp.SmtpUtf8"/>
 *     <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class SmtpUtf8 extends CommandDispatcher<SMTPSession>
    implements CommandHandler<SMTPSession>, EhloExtension, MailParametersHook, JamesMessageHook, ProtocolHandlerResultHandler<Response, SMTPSession> {
    public static final String KEYWORD = "SMTPUTF8";

    private static final Logger LOGGER = LoggerFactory.getLogger(SmtpUtf8.class);
    private static final String MAIL = "MAIL";
    private static final String RCPT = "RCPT";
    /** RFC 5321 4.2.2: 553, mailbox name not allowed (RFC 6531 3.7.4.1 pairs it with 5.6.7). */
    private static final String MAILBOX_NAME_NOT_ALLOWED = "553";
    private static final ProtocolSession.AttachmentKey<Boolean> DECLARED =
        ProtocolSession.AttachmentKey.of(MailAttributes.SMTPUTF8.asString(), Boolean.class);
    @SuppressWarnings("rawtypes")
    private static final ProtocolSession.AttachmentKey<Map> ADDRESSES =
        ProtocolSession.AttachmentKey.of(MailAttributes.SMTPUTF8_ADDRESSES.asString(), Map.class);
    private static final Response NOT_UTF8 = refusal(SMTPRetCode.SYNTAX_ERROR_ARGUMENTS, "5.5.2 Command is not valid UTF-8");
    private static final Response UNDECLARED = refusal(MAILBOX_NAME_NOT_ALLOWED,
        "5.6.7 An address with characters outside ASCII needs SMTPUTF8 on MAIL FROM (RFC 6531)");
    private static final Response BAD_SENDER = refusal(MAILBOX_NAME_NOT_ALLOWED, "5.1.7 Syntax error in UTF-8 sender address");
    private static final Response BAD_SENDER_DOMAIN = refusal(MAILBOX_NAME_NOT_ALLOWED,
        "5.1.7 Sender domain is not a valid internationalized domain name");
    private static final Response BAD_RECIPIENT = refusal(MAILBOX_NAME_NOT_ALLOWED, "5.1.3 Syntax error in UTF-8 recipient address");
    private static final Response BAD_RECIPIENT_DOMAIN = refusal(MAILBOX_NAME_NOT_ALLOWED,
        "5.1.3 Recipient domain is not a valid internationalized domain name");
    private static final HookResult VALUE_GIVEN = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode(SMTPRetCode.SYNTAX_ERROR_ARGUMENTS)
        .smtpDescription("5.5.4 SMTPUTF8 takes no value")
        .build();

    private static Response refusal(String code, String description) {
        SMTPResponse response = new SMTPResponse(code, description);
        return response.immutable();
    }

    /** A MAIL or RCPT line this handler answers itself, with a refusal. */
    private static final class Refused extends BaseRequest {
        final Response response;

        Refused(String command, Response response) {
            super(command, null);
            this.response = response;
        }
    }

    @Override
    protected Request parseRequest(SMTPSession session, byte[] line) throws Exception {
        if (isAscii(line)) {
            Request request = super.parseRequest(session, line);
            if (MAIL.equals(request.getCommand()) && request.getArgument() != null && Utf8Path.declaresSmtpUtf8(request.getArgument())) {
                // James passes a keyword-only parameter to its hook only in upper case; RFC 5321 keywords are not case-sensitive.
                session.setAttachment(DECLARED, true, State.Transaction);
            }
            return request;
        }
        String command = verb(line);
        if (!command.equals(MAIL) && !command.equals(RCPT)) {
            return super.parseRequest(session, line);
        }
        Optional<String> text = IdnaNames.strictUtf8(line);
        if (text.isEmpty()) {
            LOGGER.info("Refused {} that is not UTF-8 from {}", command, session.getRemoteAddress());
            return new Refused(command, NOT_UTF8);
        }
        String trimmed = text.get().trim();
        int space = trimmed.indexOf(' ');
        String argument = space < 0 ? "" : trimmed.substring(space + 1);
        boolean mail = command.equals(MAIL);
        boolean declared = mail ? Utf8Path.declaresSmtpUtf8(argument) : session.getAttachment(DECLARED, State.Transaction).orElse(false);
        if (!declared) {
            LOGGER.info("Refused {} with an address outside ASCII without SMTPUTF8 from {}", command, session.getRemoteAddress());
            return new Refused(command, UNDECLARED);
        }
        Utf8Path.Result result = Utf8Path.rewrite(mail ? "FROM:" : "TO:", argument);
        if (result.problem.isPresent()) {
            boolean domain = result.problem.get() == Utf8Path.Problem.DOMAIN;
            LOGGER.info("Refused {} with a UTF-8 address ({}) from {}", command, domain ? "domain not a valid IDN" : "syntax", session.getRemoteAddress());
            return new Refused(command, mail ? (domain ? BAD_SENDER_DOMAIN : BAD_SENDER) : (domain ? BAD_RECIPIENT_DOMAIN : BAD_RECIPIENT));
        }
        Utf8Path.Rewritten rewritten = result.rewritten.orElseThrow();
        if (mail) {
            session.setAttachment(DECLARED, true, State.Transaction);
        }
        addresses(session).put(rewritten.jamesAddress, rewritten.utf8Address);
        return new BaseRequest(command, rewritten.argument);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> addresses(SMTPSession session) {
        Optional<Map> known = session.getAttachment(ADDRESSES, State.Transaction);
        if (known.isPresent()) {
            return known.get();
        }
        Map<String, String> fresh = new LinkedHashMap<>();
        session.setAttachment(ADDRESSES, fresh, State.Transaction);
        return fresh;
    }

    private static boolean isAscii(byte[] line) {
        for (byte b : line) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static String verb(byte[] line) {
        int end = 0;
        while (end < line.length && line[end] != ' ' && line[end] != '\r' && line[end] != '\n') {
            end++;
        }
        return new String(line, 0, end, StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
    }

    @Override
    public Collection<String> getImplCommands() {
        return ImmutableList.of(MAIL, RCPT);
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (request instanceof Refused) {
            return ((Refused) request).response;
        }
        return null;
    }

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
        // James hands a keyword without "=" over with an empty value.
        if (paramValue != null && !paramValue.isEmpty()) {
            return VALUE_GIVEN;
        }
        session.setAttachment(DECLARED, true, State.Transaction);
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        if (session.getAttachment(DECLARED, State.Transaction).orElse(false)) {
            mail.setAttribute(new Attribute(MailAttributes.SMTPUTF8, AttributeValue.of(true)));
        }
        Map<String, String> known = addresses(session);
        if (known.isEmpty()) {
            return HookResult.DECLINED;
        }
        ImmutableMap.Builder<String, AttributeValue<?>> forms = ImmutableMap.builder();
        mail.getMaybeSender().asOptional().map(MailAddress::asString)
            .filter(known::containsKey)
            .ifPresent(sender -> forms.put(sender, AttributeValue.of(known.get(sender))));
        mail.getRecipients().stream().map(MailAddress::asString).distinct()
            .filter(known::containsKey)
            .filter(recipient -> !mail.getMaybeSender().asOptional().map(MailAddress::asString).equals(Optional.of(recipient)))
            .forEach(recipient -> forms.put(recipient, AttributeValue.of(known.get(recipient))));
        Map<String, AttributeValue<?>> built = forms.build();
        if (!built.isEmpty()) {
            mail.setAttribute(new Attribute(MailAttributes.SMTPUTF8_ADDRESSES, AttributeValue.of(built)));
        }
        return HookResult.DECLINED;
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        // James forgets a refused MAIL's sender: its SMTPUTF8 and addresses go with it. (This handler's
        // own refusals of MAIL come before anything was recorded.)
        if (handler instanceof MailCmdHandler && !SMTPRetCode.MAIL_OK.equals(response.getRetCode())) {
            session.removeAttachment(DECLARED, State.Transaction);
            session.removeAttachment(ADDRESSES, State.Transaction);
        }
        return response;
    }
}
