package org.relayguard.mailets;

import java.time.Duration;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.apache.james.queue.api.MailPrioritySupport;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.transport.mailets.remote.delivery.Bouncer;
import org.apache.james.transport.mailets.remote.delivery.Delay;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRetriesHelper;
import org.apache.james.transport.mailets.remote.delivery.DeliveryRunnable;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.james.transport.mailets.remote.delivery.MailDelivrer;
import org.apache.james.transport.mailets.remote.delivery.RemoteDeliveryConfiguration;
import org.apache.james.util.MDCBuilder;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableList;

/**
 * One attempt at a queued mail and what follows it, as James's RemoteDelivery does it: the step of
 * James's {@link DeliveryRunnable}, run by {@link PooledDelivery}'s own loop. The mail's logging
 * context (MDC {@code mail}, {@code recipients}, {@code sender}), the {@code RemoteDeliveryTrial}
 * timer and the {@code outgoingMails} count are RemoteDelivery's, so a log line and a metric read
 * the same whichever mailet delivers; after a temporary failure the mail is queued again on James's
 * retry attributes and delays, after too many or a permanent one it is bounced by James's
 * {@link Bouncer}, so a queue holds the same mail either way.
 *
 * <p>Why not DeliveryRunnable itself: its public constructor builds its own {@link MailDelivrer}
 * around a new {@code MailDelivrerToHost} (a connection per mail, not our pool); the constructor
 * that takes a MailDelivrer and {@code attemptDelivery} are package-private, and a class of an
 * extension jar is not in James's runtime package even under James's package name (another class
 * loader). Its loop would not do either: it takes 256 mails at once whatever the pool's size, and
 * gives a mail whose attempt failed back to the queue at once, where PooledDelivery pauses
 * ({@link DeliveryFailures}). So the loop is PooledDelivery's and the step below is written once
 * more, on James's public parts: {@link Bouncer}, {@link DeliveryRetriesHelper}, {@link Delay},
 * {@link RemoteDeliveryConfiguration}, {@link MDCBuilder} and DeliveryRunnable's metric names.</p>
 */
final class DeliveryTrial {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryTrial.class);
    /** DeliveryRunnable's MDC keys, which James does not name in a constant. */
    static final String MDC_MAIL = "mail";
    static final String MDC_RECIPIENTS = "recipients";
    static final String MDC_SENDER = "sender";

    private final RemoteDeliveryConfiguration configuration;
    private final MailDelivrer delivrer;
    private final Bouncer bouncer;
    private final MailQueue queue;
    private final MailetContext mailetContext;
    private final MetricFactory metricFactory;
    private final Metric outgoingMails;

    DeliveryTrial(RemoteDeliveryConfiguration configuration, MailDelivrer delivrer, Bouncer bouncer, MailQueue queue,
                  MailetContext mailetContext, MetricFactory metricFactory) {
        this.configuration = configuration;
        this.delivrer = delivrer;
        this.bouncer = bouncer;
        this.queue = queue;
        this.mailetContext = mailetContext;
        this.metricFactory = metricFactory;
        this.outgoingMails = metricFactory.generate(DeliveryRunnable.OUTGOING_MAILS);
    }

    /** The mail's logging context during its attempt, as DeliveryRunnable sets it. */
    static MDCBuilder context(Mail mail) {
        return MDCBuilder.create()
            .addToContext(MDC_MAIL, mail.getName())
            .addToContext(MDC_RECIPIENTS, ImmutableList.copyOf(mail.getRecipients()).toString())
            .addToContext(MDC_SENDER, mail.getMaybeSender().asString());
    }

    /** Times one attempt: published, as by DeliveryRunnable, only when the attempt ends without an exception. */
    TimeMetric timer() {
        return metricFactory.timer(DeliveryRunnable.REMOTE_DELIVERY_TRIAL);
    }

    /**
     * Delivers the mail and settles what follows: on success the {@code onSuccess} processor, on a
     * permanent failure a bounce, on a temporary one the queue again (or a bounce after
     * {@code maxRetries}). An exception means the mail is not settled and goes back to the queue.
     */
    void attempt(Mail mail) throws MessagingException {
        LOGGER.debug("will process mail {}", mail.getName());
        ExecutionResult result = delivrer.deliver(mail);
        switch (result.getExecutionState()) {
            case SUCCESS:
                outgoingMails.increment();
                if (configuration.getOnSuccess().isPresent()) {
                    mailetContext.sendMail(mail, configuration.getOnSuccess().get().getValue());
                }
                return;
            case PERMANENT_FAILURE:
                mail.setAttribute(new Attribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR, AttributeValue.of(true)));
                bouncer.bounce(mail, result.getException().orElse(null));
                return;
            case TEMPORARY_FAILURE:
            default:
                retryLater(mail, result);
        }
    }

    private void retryLater(Mail mail, ExecutionResult result) throws MessagingException {
        if (!Mail.ERROR.equals(mail.getState())) {
            mail.setState(Mail.ERROR);
            DeliveryRetriesHelper.initRetries(mail);
        }
        mail.setAttribute(new Attribute(Bouncer.IS_DELIVERY_PERMANENT_ERROR, AttributeValue.of(false)));
        int retries = DeliveryRetriesHelper.retrieveRetries(mail);
        if (retries >= configuration.getMaxRetries()) {
            LOGGER.debug("Bouncing message {} after {} retries", mail.getName(), retries);
            bouncer.bounce(mail, new Exception("Too many retries failure. Bouncing after " + retries + " retries.",
                result.getException().orElse(null)));
            return;
        }
        LOGGER.debug("Storing message {} into outgoing after {} retries", mail.getName(), retries);
        DeliveryRetriesHelper.incrementRetries(mail);
        mail.setLastUpdated(new java.util.Date());
        if (configuration.isUsePriority()) {
            mail.setAttribute(MailPrioritySupport.LOW_PRIORITY_ATTRIBUTE);
        }
        queue.enQueue(mail, delay(retries + 1));
    }

    /** The delay before attempt number {@code retry} + 1: delayTime's, then RemoteDelivery's default beyond its list. */
    private Duration delay(int retry) {
        List<Duration> delays = configuration.getDelayTimes();
        return retry > delays.size() ? Delay.DEFAULT_DELAY_TIME : delays.get(retry - 1);
    }
}
