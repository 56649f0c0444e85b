package org.relayguard.smtp;

import java.util.List;

import org.apache.james.protocols.api.Response;

/**
 * What a connect handler answers to let the connection go on, or a command handler whose reply
 * comes later (BDAT, after its chunk): a response without lines, which James writes as nothing.
 * Not null: James's JMX statistics of connect handlers (on by default) fail on a null response;
 * its code {@code 0} is one those of command handlers read (their first character) and count as
 * neither success nor failure.
 */
public final class NoReply implements Response {
    public static final Response INSTANCE = new NoReply();

    private NoReply() {
    }

    @Override
    public String getRetCode() {
        return "0";
    }

    @Override
    public List<CharSequence> getLines() {
        return List.of();
    }

    @Override
    public boolean isEndSession() {
        return false;
    }
}
