package org.relayguard.smtp;

import java.util.List;

import org.apache.james.protocols.api.Response;

/**
 * What a connect handler answers to let the connection go on: a response without lines, which
 * James writes as nothing. Not null: James's JMX statistics of connect handlers (on by default)
 * fail on a null response.
 */
final class NoReply implements Response {
    static final Response INSTANCE = new NoReply();

    private NoReply() {
    }

    @Override
    public String getRetCode() {
        return "";
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
