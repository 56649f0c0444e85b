package org.relayguard.core.mail;

/** The names of the headers Relay Guard reads, written once for every module that reads them. */
public final class HeaderNames {
    /** The tenant the sending Microsoft 365 organisation names; the sender writes it, so it may be forged. */
    public static final String ORIGINATOR_ORG = "X-OriginatorOrg";
    /** What generated the message in Exchange Online, e.g. {@code Mailbox Rules Agent} for an inbox-rule forward. */
    public static final String MESSAGE_SOURCE = "X-MS-Exchange-Generated-Message-Source";

    private HeaderNames() {
    }
}
