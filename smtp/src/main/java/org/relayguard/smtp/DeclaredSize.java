package org.relayguard.smtp;

import java.math.BigInteger;
import java.util.regex.Pattern;

import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code SIZE=} parameter of MAIL (RFC 1870) read as a number of any length: a declared size
 * over the listener's {@code maxmessagesize} is refused with {@code 552 5.3.4} however large it is
 * (James's own reading takes an {@code int}, and answers {@code 501} from 2^31 on); a value that is
 * not a number gets {@code 501 5.5.4}. An accepted size is kept where James's keeps it
 * ({@code MESG_SIZE}), for the handlers that read it ({@link DiskSpaceGuard}).
 *
 * <p>James's {@code MailSizeEsmtpExtension} still offers {@code SIZE} in EHLO and counts the bytes
 * of the message. MAIL parameters go to the last handler in the chain that names them, so this
 * one comes after {@code CoreCmdHandlerLoader}:</p>
 * <pre>{@code
 * <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * <handler class="org.relayguard.smtp.DeclaredSize"/>
 * }</pre>
 */
public class DeclaredSize implements MailParametersHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeclaredSize.class);
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,100}");
    private static final HookResult SYNTAX_ERROR = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode(SMTPRetCode.SYNTAX_ERROR_ARGUMENTS)
        .smtpDescription(DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.DELIVERY_INVALID_ARG) + " Syntactically incorrect value for SIZE parameter")
        .build();
    private static final HookResult TOO_BIG = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode(SMTPRetCode.QUOTA_EXCEEDED)
        .smtpDescription(DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.SYSTEM_MSG_TOO_BIG) + " Message size exceeds fixed maximum message size")
        .build();

    @Override
    public String[] getMailParamNames() {
        return new String[] {"SIZE"};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        if (!DIGITS.matcher(paramValue).matches()) {
            LOGGER.info("Refused a SIZE that is not a number from {}", session.getRemoteAddress());
            return SYNTAX_ERROR;
        }
        BigInteger size = new BigInteger(paramValue);
        long limit = session.getConfiguration().getMaxMessageSize();
        if (limit > 0 && size.compareTo(BigInteger.valueOf(limit)) > 0) {
            LOGGER.info("Refused MAIL from {}: declared SIZE {} over the limit {}", session.getRemoteAddress(), size, limit);
            return TOO_BIG;
        }
        session.setAttachment(DiskSpaceGuard.DECLARED_SIZE, size.min(BigInteger.valueOf(Integer.MAX_VALUE)).intValueExact(), State.Transaction);
        return HookResult.DECLINED;
    }
}
