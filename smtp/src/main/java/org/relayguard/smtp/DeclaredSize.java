package org.relayguard.smtp;

import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code SIZE=} parameter of MAIL (RFC 1870) read as a number of any length: a declared size
 * over the listener's {@code maxmessagesize} gets {@code 552 5.3.4} however large it is. James's
 * own reading ({@code MailSizeEsmtpExtension}) takes an {@code int}, and answers {@code 501} from
 * 2^31 on, as if the client had written no number at all.
 *
 * <p>A command handler for MAIL that runs before James's: it answers only a declared size over the
 * limit, and leaves every other MAIL to James (which still announces SIZE, refuses a value that is
 * not a number with {@code 501}, keeps the declared size and counts the message's bytes). James
 * puts its own command handlers after every handler the chain names, so the line may stand
 * anywhere before or after {@code CoreCmdHandlerLoader}:</p>
 * <pre>{@code
 * <handler class="org.relayguard.smtp.DeclaredSize"/>
 * <handler class="org.apache.james.smtpserver.CoreCmdHandlerLoader"/>
 * }</pre>
 */
public class DeclaredSize implements CommandHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeclaredSize.class);
    private static final String SIZE = "SIZE=";
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,1000}");
    private static final Response TOO_BIG = new SMTPResponse(SMTPRetCode.QUOTA_EXCEEDED,
        DSNStatus.getStatus(DSNStatus.PERMANENT, DSNStatus.SYSTEM_MSG_TOO_BIG) + " Message size exceeds fixed maximum message size").immutable();

    @Override
    public Collection<String> getImplCommands() {
        return List.of("MAIL");
    }

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        long limit = session.getConfiguration().getMaxMessageSize();
        String argument = request.getArgument();
        if (limit <= 0 || argument == null) {
            return null;
        }
        // The parameters follow the path, as James reads them: after its closing bracket.
        String parameters = argument.substring(argument.lastIndexOf('>') + 1);
        for (String parameter : parameters.split(" ")) {
            if (parameter.toUpperCase(Locale.ROOT).startsWith(SIZE)) {
                String value = parameter.substring(SIZE.length());
                if (DIGITS.matcher(value).matches() && new BigInteger(value).compareTo(BigInteger.valueOf(limit)) > 0) {
                    LOGGER.info("Refused MAIL from {}: declared SIZE over the limit {}", session.getRemoteAddress(), limit);
                    return TOO_BIG;
                }
            }
        }
        return null;
    }
}
