package org.relayguard.server.queue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

import javax.mail.MessagingException;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.filter.Filter;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.impl.AckReason;
import org.apache.activemq.artemis.core.server.impl.QueueImpl;
import org.apache.activemq.artemis.selector.filter.Filterable;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;
import org.apache.james.core.MailAddress;
import org.apache.james.queue.api.MailQueue.MailQueueException;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.ManageableMailQueue.DefaultMailQueueItemView;
import org.apache.james.queue.api.ManageableMailQueue.MailQueueItemView;
import org.apache.james.queue.api.ManageableMailQueue.MailQueueIterator;
import org.apache.james.server.core.MailImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What webadmin's {@code /mailQueues} does to one mail queue: its size, the listing, removals
 * (by name, sender, recipient, or all) with their bodies, and the flush that makes every waiting
 * mail due now. It works on the broker's queue directly, beside the consumer: a mail being
 * delivered now is neither listed nor removed.
 */
final class QueueManagement {
    /** The mail queue's log lines, whichever part of it writes them, keep the one logger name. */
    private static final Logger LOGGER = LoggerFactory.getLogger(ArtemisMailQueue.class);

    private final BrokerQueue brokerQueue;
    private final MailBodies bodies;
    private final QueueSender sender;

    QueueManagement(BrokerQueue brokerQueue, MailBodies bodies, QueueSender sender) {
        this.brokerQueue = brokerQueue;
        this.bodies = bodies;
        this.sender = sender;
    }

    long size() {
        return brokerQueue.size();
    }

    /**
     * Makes every waiting mail due now: each is queued again without delay, then its waiting entry
     * removed (through the queue's own delete, which keeps its counts right for scheduled entries).
     */
    long flush() throws MailQueueException {
        Queue queue = brokerQueue.queue();
        Set<Long> flushed = new HashSet<>();
        for (MessageReference reference : queue.getScheduledMessages()) {
            Message message = reference.getMessage();
            try {
                sender.send(QueueEntry.dueNow(message, bodies.of(message)));
                flushed.add(message.getMessageID());
            } catch (Exception e) {
                throw new MailQueueException("Mail queue " + brokerQueue.name().asString() + ": flush failed", e);
            }
        }
        if (!flushed.isEmpty()) {
            try {
                queue.deleteMatchingReferences(QueueImpl.DEFAULT_FLUSH_LIMIT,
                    new EnvelopeFilter(message -> flushed.contains(message.getMessageID())), AckReason.KILLED);
            } catch (Exception e) {
                throw new MailQueueException("Mail queue " + brokerQueue.name().asString() + ": flush failed", e);
            }
        }
        brokerQueue.awaitJournal();
        return flushed.size();
    }

    long clear() throws MailQueueException {
        return delete(mail -> true);
    }

    long remove(ManageableMailQueue.Type type, String value) throws MailQueueException {
        switch (type) {
            case Name:
                return delete(envelope -> value.equals(envelope.path("name").asText(null)));
            case Sender:
                return delete(envelope -> value.equals(envelope.path("sender").asText(null)));
            case Recipient:
                return delete(envelope -> recipients(envelope).contains(value));
            default:
                throw new IllegalArgumentException("Unknown type " + type);
        }
    }

    private static List<String> recipients(JsonNode envelope) {
        List<String> recipients = new ArrayList<>();
        envelope.path("recipients").forEach(recipient -> recipients.add(normalized(recipient.asText())));
        return recipients;
    }

    private static String normalized(String address) {
        try {
            return new MailAddress(address).asString();
        } catch (Exception e) {
            return address;
        }
    }

    /** Removes the matching waiting and due mails (not those being delivered now) and their bodies. */
    private long delete(Predicate<JsonNode> matching) throws MailQueueException {
        Queue queue = brokerQueue.queue();
        List<MailBodies.Body> removedBodies = new ArrayList<>();
        Filter filter = new EnvelopeFilter(message -> {
            String envelope = QueueEntry.envelope(message);
            if (envelope != null && matching.test(MailEnvelope.parse(envelope))) {
                bodies.file(message).ifPresent(removedBodies::add);
                return true;
            }
            return false;
        });
        try {
            int count = queue.deleteMatchingReferences(QueueImpl.DEFAULT_FLUSH_LIMIT, filter, AckReason.KILLED);
            brokerQueue.awaitJournal();
            removedBodies.forEach(MailBodies.Body::delete);
            return count;
        } catch (Exception e) {
            throw new MailQueueException("Mail queue " + brokerQueue.name().asString() + ": remove failed", e);
        }
    }

    MailQueueIterator browse() throws MailQueueException {
        Queue queue = brokerQueue.queue();
        List<Message> messages = new ArrayList<>();
        queue.getScheduledMessages().forEach(reference -> messages.add(reference.getMessage()));
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext()) {
                messages.add(references.next().getMessage());
            }
        }
        messages.sort(Comparator.comparingLong(QueueEntry::sequence));
        List<MailQueueItemView> views = new ArrayList<>();
        for (Message message : messages) {
            view(message).ifPresent(views::add);
        }
        var iterator = views.iterator();
        return new MailQueueIterator() {
            @Override
            public boolean hasNext() {
                return iterator.hasNext();
            }

            @Override
            public MailQueueItemView next() {
                return iterator.next();
            }

            @Override
            public void close() {
            }
        };
    }

    private Optional<MailQueueItemView> view(Message message) {
        try {
            MailImpl mail = MailEnvelope.read(QueueEntry.envelope(message));
            mail.setMessageNoCopy(new QueuedMessage(bodies.of(message).source()));
            ZonedDateTime due = ZonedDateTime.ofInstant(Instant.ofEpochMilli(QueueEntry.due(message)), ZoneOffset.UTC);
            return Optional.of(new DefaultMailQueueItemView(mail, due));
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("Mail queue {}: unreadable entry skipped in a listing", brokerQueue.name().asString(), e);
            return Optional.empty();
        }
    }

    /** Matches on the message itself; the queue's own bookkeeping never asks the other two. */
    static final class EnvelopeFilter implements Filter {
        private final Predicate<Message> predicate;

        EnvelopeFilter(Predicate<Message> predicate) {
            this.predicate = predicate;
        }

        @Override
        public boolean match(Message message) {
            return predicate.test(message);
        }

        @Override
        public boolean match(Map<String, String> map) {
            return false;
        }

        @Override
        public boolean match(Filterable filterable) {
            return false;
        }

        @Override
        public SimpleString getFilterString() {
            return SimpleString.toSimpleString("relayguard-envelope-filter");
        }
    }
}
