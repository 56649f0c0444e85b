package org.relayguard.smtp;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.RcptCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.relayguard.core.mail.MailAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;

/**
 * The DSN ESMTP extension (RFC 3461) and the {@code BODY} parameter of 8BITMIME (RFC 6152), read
 * strictly and kept per transaction: EHLO offers {@code DSN}; MAIL takes {@code RET=FULL|HDRS},
 * {@code ENVID=<xtext>} and {@code BODY=7BIT|8BITMIME}; RCPT takes {@code NOTIFY=NEVER} or any of
 * {@code SUCCESS,FAILURE,DELAY}, and {@code ORCPT=<addr-type>;<xtext>} with any addr-type. A
 * malformed or repeated value is refused with {@code 501 5.5.4}.
 *
 * <p>A recipient's parameters count only once its RCPT got {@code 250} (the last accepted RCPT for
 * an address wins); a refused RCPT leaves nothing behind, a refused MAIL forgets its RET, ENVID and
 * BODY, and RSET forgets everything (James's transaction state). When the message is accepted, the
 * mail gets James's DSN parameters ({@link Mail#setDsnParameters}, for James's DSN matchers and
 * {@code DSNBounce}; ORCPT there only when it is an rfc822 address), every ORCPT as written in the
 * attribute {@code org.relayguard.dsn-orcpt} ({@link MailAttributes#DSN_ORCPT}) and the BODY value in
 * {@code org.relayguard.body} ({@link MailAttributes#BODY}), for delivery to hand them on.</p>
 *
 * <p>Before {@code CoreCmdHandlerLoader}, so that its message hook runs before the mail is queued and
 * its RCPT hook before James's hooks that accept postmaster and abuse outright:</p>
 * <pre>{@code
 * <handler class="org.relayguard.smtp.DsnExtension"/>
 * <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * }</pre>
 */
public class DsnExtension implements EhloExtension, MailParametersHook, RcptHook, JamesMessageHook,
    ProtocolHandlerResultHandler<Response, SMTPSession> {
    public static final String KEYWORD = "DSN";

    private static final Logger LOGGER = LoggerFactory.getLogger(DsnExtension.class);
    private static final String RET = "RET";
    private static final String ENVID = "ENVID";
    private static final String BODY = "BODY";
    private static final String NOTIFY = "NOTIFY";
    private static final String ORCPT = "ORCPT";
    private static final Set<String> BODY_TYPES = ImmutableSet.of("7BIT", "8BITMIME");
    private static final Set<String> RET_VALUES = ImmutableSet.of("FULL", "HDRS");
    /** RFC 3461 4.4 and 4.2: an ENVID of at most 100 characters, an ORCPT of at most 500. */
    private static final int MAX_ENVID_LENGTH = 100;
    private static final int MAX_ORCPT_LENGTH = 500;
    private static final Pattern ADDR_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]*");
    private static final String RFC822 = "rfc822";

    private static final ProtocolSession.AttachmentKey<Transaction> TRANSACTION =
        ProtocolSession.AttachmentKey.of("org.relayguard.dsn", Transaction.class);

    /** What the client said in the current transaction; mutable, it lives in the session's transaction state. */
    static final class Transaction {
        private final Map<String, String> mailParameters = new LinkedHashMap<>();
        private final Map<MailAddress, Recipient> recipients = new LinkedHashMap<>();
        private Optional<Map.Entry<MailAddress, Recipient>> pending = Optional.empty();
    }

    /** One recipient's NOTIFY (canonical, upper case) and ORCPT (as written, hex digits upper case). */
    static final class Recipient {
        final Optional<String> notify;
        final Optional<String> orcpt;

        Recipient(Optional<String> notify, Optional<String> orcpt) {
            this.notify = notify;
            this.orcpt = orcpt;
        }
    }


    @Override
    public List<String> getImplementedEsmtpFeatures(SMTPSession session) {
        return ImmutableList.of(KEYWORD);
    }

    @Override
    public String[] getMailParamNames() {
        return new String[] {RET, ENVID, BODY};
    }

    @Override
    public Set<String> supportedParameters() {
        return ImmutableSet.of(NOTIFY, ORCPT);
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        Transaction transaction = transaction(session);
        if (transaction.mailParameters.containsKey(paramName)) {
            return InvalidArgument.because(paramName + " given more than once");
        }
        Optional<String> value = mailParameter(paramName, paramValue);
        if (value.isEmpty()) {
            LOGGER.info("Refused malformed MAIL parameter {} from {}", paramName, session.getRemoteAddress());
            return InvalidArgument.because("Invalid " + paramName + " value");
        }
        transaction.mailParameters.put(paramName, value.get());
        return HookResult.DECLINED;
    }

    /** The parameter's value in the form it is kept in, or empty when it is malformed. */
    static Optional<String> mailParameter(String name, String value) {
        switch (name) {
            case RET:
                return Optional.of(value.toUpperCase(Locale.ROOT)).filter(RET_VALUES::contains);
            case BODY:
                return Optional.of(value.toUpperCase(Locale.ROOT)).filter(BODY_TYPES::contains);
            case ENVID:
                return Xtext.canonical(value).filter(envId -> !envId.isEmpty() && envId.length() <= MAX_ENVID_LENGTH);
            default:
                return Optional.empty();
        }
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt, Map<String, String> parameters) {
        Transaction transaction = transaction(session);
        transaction.pending = Optional.empty();
        Optional<String> notify = Optional.empty();
        if (parameters.containsKey(NOTIFY)) {
            notify = notify(parameters.get(NOTIFY));
            if (notify.isEmpty()) {
                return InvalidArgument.because("NOTIFY must be NEVER, or any of SUCCESS, FAILURE, DELAY");
            }
        }
        Optional<String> orcpt = Optional.empty();
        if (parameters.containsKey(ORCPT)) {
            orcpt = orcpt(parameters.get(ORCPT));
            if (orcpt.isEmpty()) {
                return InvalidArgument.because("ORCPT must be addr-type;xtext");
            }
        }
        // Even without parameters: once accepted, it replaces what an earlier RCPT for the address said.
        transaction.pending = Optional.of(Map.entry(rcpt, new Recipient(notify, orcpt)));
        return HookResult.DECLINED;
    }

    /** NOTIFY in canonical form ({@code SUCCESS,FAILURE,DELAY} order, upper case), or empty when malformed. */
    static Optional<String> notify(String value) {
        EnumSet<DsnParameters.Notify> notify = EnumSet.noneOf(DsnParameters.Notify.class);
        for (String keyword : value.split(",", -1)) {
            Optional<DsnParameters.Notify> parsed = keyword.matches("[A-Za-z]+")
                ? DsnParameters.Notify.parseValue(keyword.toUpperCase(Locale.ROOT)) : Optional.empty();
            if (parsed.isEmpty() || !notify.add(parsed.get())) {
                return Optional.empty();
            }
        }
        if (notify.contains(DsnParameters.Notify.NEVER) && notify.size() > 1) {
            return Optional.empty();
        }
        return Optional.of(notify.stream().map(Enum::name).reduce((a, b) -> a + "," + b).orElseThrow());
    }

    /** ORCPT as written, the hex digits of its xtext upper case, or empty when malformed. */
    static Optional<String> orcpt(String value) {
        int semicolon = value.indexOf(';');
        if (semicolon < 0 || value.length() > MAX_ORCPT_LENGTH) {
            return Optional.empty();
        }
        String addrType = value.substring(0, semicolon);
        String address = value.substring(semicolon + 1);
        if (!ADDR_TYPE.matcher(addrType).matches() || address.isEmpty()) {
            return Optional.empty();
        }
        return Xtext.canonical(address).map(xtext -> addrType + ";" + xtext);
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        Optional<Transaction> found = session.getAttachment(TRANSACTION, State.Transaction);
        if (found.isEmpty()) {
            return HookResult.DECLINED;
        }
        Transaction transaction = found.get();
        Optional.ofNullable(transaction.mailParameters.get(BODY))
            .ifPresent(body -> mail.setAttribute(new Attribute(MailAttributes.BODY, AttributeValue.of(body))));
        Map<String, AttributeValue<?>> orcpts = new LinkedHashMap<>();
        ImmutableMap.Builder<MailAddress, DsnParameters.RecipientDsnParameters> recipients = ImmutableMap.builder();
        transaction.recipients.forEach((address, recipient) -> {
            recipient.orcpt.ifPresent(orcpt -> orcpts.put(address.asString(), AttributeValue.of(orcpt)));
            DsnParameters.RecipientDsnParameters.of(recipient.notify.map(DsnParameters.Notify::parse), recipient.orcpt.flatMap(DsnExtension::rfc822))
                .ifPresent(parameters -> recipients.put(address, parameters));
        });
        if (!orcpts.isEmpty()) {
            mail.setAttribute(new Attribute(MailAttributes.DSN_ORCPT, AttributeValue.of(orcpts)));
        }
        DsnParameters.of(
                Optional.ofNullable(transaction.mailParameters.get(ENVID)).map(DsnParameters.EnvId::of),
                Optional.ofNullable(transaction.mailParameters.get(RET)).flatMap(DsnParameters.Ret::parse),
                recipients.build())
            .ifPresent(mail::setDsnParameters);
        return HookResult.DECLINED;
    }

    /** The address of an ORCPT of addr-type rfc822 that James can read, for James's DSN parameters. */
    private static Optional<MailAddress> rfc822(String orcpt) {
        int semicolon = orcpt.indexOf(';');
        if (!orcpt.substring(0, semicolon).equalsIgnoreCase(RFC822)) {
            return Optional.empty();
        }
        return Xtext.decode(orcpt.substring(semicolon + 1)).flatMap(address -> {
            try {
                return Optional.of(new MailAddress(address));
            } catch (AddressException e) {
                return Optional.empty();
            }
        });
    }

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        if (handler instanceof MailCmdHandler && !SMTPRetCode.MAIL_OK.equals(response.getRetCode())) {
            session.removeAttachment(TRANSACTION, State.Transaction);
        } else if (handler instanceof RcptCmdHandler) {
            session.getAttachment(TRANSACTION, State.Transaction).ifPresent(transaction -> {
                if (SMTPRetCode.MAIL_OK.equals(response.getRetCode())) {
                    transaction.pending.ifPresent(recipient -> {
                        transaction.recipients.remove(recipient.getKey());
                        transaction.recipients.put(recipient.getKey(), recipient.getValue());
                    });
                }
                transaction.pending = Optional.empty();
            });
        }
        return response;
    }

    private static Transaction transaction(SMTPSession session) {
        Optional<Transaction> existing = session.getAttachment(TRANSACTION, State.Transaction);
        if (existing.isPresent()) {
            return existing.get();
        }
        Transaction created = new Transaction();
        session.setAttachment(TRANSACTION, created, State.Transaction);
        return created;
    }
}
