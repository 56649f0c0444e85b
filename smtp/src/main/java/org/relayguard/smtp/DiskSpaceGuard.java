package org.relayguard.smtp;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.dsn.DSNStatus;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses new mail before the disk is full, as Postfix's {@code queue_minfree}: {@code MAIL} gets
 * {@code 452 4.3.1 Insufficient system storage} at once while the volume of the server's
 * {@code var/} (the mail queues) has less free space than {@code minFreeSpace}, or when the
 * message's declared {@code SIZE=} would take it below that. Mail already queued goes on being
 * delivered, which frees space; intake resumes by itself as soon as there is room. The free space
 * is read at most once a second ({@link VolumeFreeSpace}); refusals are counted and logged
 * ({@link LowSpaceEpisodes}).
 *
 * <p>{@code minFreeSpace}: {@code auto} (the larger of 1 GiB and 1.5 times the listener's
 * {@code maxmessagesize}), or a size in bytes with an optional unit K, M or G (powers of 1024).
 * Anything else stops James at start-up.</p>
 */
public class DiskSpaceGuard implements MailHook {
    static final String NAME = "DiskSpaceGuard";
    static final String MIN_FREE_SPACE = "minFreeSpace";
    static final String AUTO = "auto";
    static final long AUTO_FLOOR = 1L << 30;
    static final String REFUSAL_TEXT = DSNStatus.getStatus(DSNStatus.TRANSIENT, DSNStatus.SYSTEM_FULL) + " Insufficient system storage";
    /** Where James's SIZE extension keeps the declared size (MailSizeEsmtpExtension, James 3.8.1). */
    static final ProtocolSession.AttachmentKey<Integer> DECLARED_SIZE = ProtocolSession.AttachmentKey.of("MESG_SIZE", Integer.class);

    private static final Logger LOGGER = LoggerFactory.getLogger(DiskSpaceGuard.class);
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})([KMG]?)");
    private static final HookResult REFUSED = HookResult.builder()
        .hookReturnCode(HookReturnCode.denySoft())
        .smtpReturnCode(SMTPRetCode.SYSTEM_STORAGE_ERROR)
        .smtpDescription(REFUSAL_TEXT)
        .build();

    private final VolumeFreeSpace freeSpace;
    private final LowSpaceEpisodes episodes;
    /** Empty for auto. */
    private Optional<Long> minFreeSpace = Optional.empty();

    @Inject
    public DiskSpaceGuard(VolumeFreeSpace freeSpace, LowSpaceEpisodes episodes) {
        this.freeSpace = freeSpace;
        this.episodes = episodes;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        minFreeSpace = parse(config.getString(MIN_FREE_SPACE, null));
        LOGGER.info("{}: minFreeSpace={}", NAME, minFreeSpace.map(String::valueOf).orElse(AUTO));
    }

    static Optional<Long> parse(String value) throws ConfigurationException {
        if (value == null || value.isBlank()) {
            throw new ConfigurationException(NAME + ": parameter '" + MIN_FREE_SPACE + "' is required ('auto' or a size such as 2G)");
        }
        String trimmed = value.trim().toUpperCase(Locale.US);
        if (trimmed.equals("AUTO")) {
            return Optional.empty();
        }
        Matcher matcher = SIZE.matcher(trimmed);
        if (!matcher.matches()) {
            throw new ConfigurationException(NAME + ": parameter '" + MIN_FREE_SPACE + "' must be 'auto' or a size such as 2G, got '" + value + "'");
        }
        int shift = "KMG".indexOf(matcher.group(2).isEmpty() ? "_" : matcher.group(2)) + 1;
        long number = Long.parseLong(matcher.group(1));
        if (shift > 0 && number > (Long.MAX_VALUE >> (10 * shift))) {
            throw new ConfigurationException(NAME + ": parameter '" + MIN_FREE_SPACE + "' is too large: '" + value + "'");
        }
        return Optional.of(number << (10 * shift));
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        long free = freeSpace.bytes();
        if (free < 0) {
            // The volume cannot be read: let the queue's own write decide (451 on failure).
            return HookResult.DECLINED;
        }
        long threshold = threshold(session.getConfiguration().getMaxMessageSize());
        if (free < threshold) {
            episodes.refusedForLowSpace(free, threshold);
            return REFUSED;
        }
        episodes.enoughSpace(free);
        Optional<Integer> declared = session.getAttachment(DECLARED_SIZE, ProtocolSession.State.Transaction);
        if (declared.isPresent() && free - declared.get() < threshold) {
            episodes.refusedForSize();
            return REFUSED;
        }
        return HookResult.DECLINED;
    }

    long threshold(long maxMessageSize) {
        return minFreeSpace.orElseGet(() -> Math.max(AUTO_FLOOR, maxMessageSize + maxMessageSize / 2));
    }
}
