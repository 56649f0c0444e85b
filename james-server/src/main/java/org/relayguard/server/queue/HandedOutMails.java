package org.relayguard.server.queue;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.mailet.Mail;

/**
 * The mails the queues of one broker handed out and whose deliverers are not done with them, by
 * identity (James passes the very object on): an enqueue of such a mail, to its own queue (a retry)
 * or to another (the spooler's pipeline handing it to a route's queue), is written with that mail's
 * acknowledgement, in one transaction ({@link QueueConsumer}).
 */
final class HandedOutMails {
    private final Map<Mail, QueueConsumer.Item> items = new IdentityHashMap<>();

    synchronized void put(Mail mail, QueueConsumer.Item item) {
        items.put(mail, item);
    }

    synchronized void remove(Mail mail, QueueConsumer.Item item) {
        items.remove(mail, item);
    }

    synchronized Optional<QueueConsumer.Item> get(Mail mail) {
        return Optional.ofNullable(items.get(mail));
    }
}
