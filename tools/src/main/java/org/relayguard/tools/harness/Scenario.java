package org.relayguard.tools.harness;

import java.util.List;
import java.util.Optional;

/**
 * The rows of SPEC's decision table: who connects, with which envelope sender and headers, and
 * what each profile must decide. Header names are written in varying case on purpose.
 */
public enum Scenario {
    OUR_SENDER_OUR_ORG(Source.M365_HOSTNAME, "a@contoso.com", null, List.of("contoso.com"), Decision.RELAY, Decision.RELAY),
    FOREIGN_SENDER_OUR_ONMICROSOFT_ORG(Source.M365_HOSTNAME, "a@evil.example", null, List.of("contoso.onmicrosoft.com"), Decision.RELAY, Decision.RELAY),
    FOREIGN_SENDER_FOREIGN_ORG(Source.M365_HOSTNAME, "a@evil.example", null, List.of("evil.onmicrosoft.com"), Decision.DENY, Decision.DENY),
    FOREIGN_SENDER_NO_ORG(Source.M365_HOSTNAME, "a@evil.example", null, List.of(), Decision.DENY, Decision.DENY),
    FOREIGN_SENDER_FORGED_SECOND_ORG(Source.M365_HOSTNAME, "a@evil.example", null, List.of("contoso.com", "evil.example"), Decision.DENY, Decision.DENY),
    FOREIGN_SENDER_MAILBOX_RULES(Source.M365_HOSTNAME, "a@evil.example", "Mailbox Rules Agent", List.of("evil.onmicrosoft.com"), Decision.RELAY, Decision.DENY),
    SRS_FORWARD_FROM_OUR_DOMAIN(Source.M365_HOSTNAME, "bounces+SRS=x=y=z@contoso.com", "Mailbox Rules Agent", List.of("fabrikam.com"), Decision.RELAY, Decision.RELAY),
    OUR_SENDER_FOREIGN_ORG(Source.M365_HOSTNAME, "a@contoso.com", null, List.of("evil.onmicrosoft.com"), Decision.RELAY, Decision.DENY),
    NULL_SENDER_NO_ORG(Source.M365_HOSTNAME, "", null, List.of(), Decision.DENY, Decision.DENY),
    M365_ADDRESS_WITHOUT_PTR(Source.M365_IP_WITHOUT_PTR, "a@evil.example", null, List.of("evil.onmicrosoft.com"), Decision.RELAY, Decision.DENY),
    INTERNET_HOST(Source.INTERNET_HOST, "b@example.org", null, List.of(), Decision.RELAY, Decision.RELAY);

    public static final String RECIPIENT = "someone@external.example";
    public static final String SCENARIO_HEADER = "X-Relayguard-Scenario";

    /** Where the SMTP connection comes from, as James sees it. */
    public enum Source {
        /** Loopback source named {@code mail-x.outbound.protection.outlook.com} by the demo hosts file. */
        M365_HOSTNAME,
        /** A Microsoft Exchange Online address with no PTR name, through the PROXY protocol listener. */
        M365_IP_WITHOUT_PTR,
        /** Loopback source named {@code mail.example.org}: ordinary internet mail. */
        INTERNET_HOST
    }

    public enum Decision {
        RELAY, DENY
    }

    public final Source source;
    public final String envelopeSender;
    public final Optional<String> messageSource;
    public final List<String> originatorOrgs;
    private final Decision proofpoint;
    private final Decision hardened;

    Scenario(Source source, String envelopeSender, String messageSource, List<String> originatorOrgs, Decision proofpoint, Decision hardened) {
        this.source = source;
        this.envelopeSender = envelopeSender;
        this.messageSource = Optional.ofNullable(messageSource);
        this.originatorOrgs = originatorOrgs;
        this.proofpoint = proofpoint;
        this.hardened = hardened;
    }

    public Decision expected(JamesServer.Profile profile) {
        return profile == JamesServer.Profile.PROOFPOINT ? proofpoint : hardened;
    }

    /** The message as the client sends it; header names vary in case as they do on real traffic. */
    public String message() {
        return message(name());
    }

    /** The message with another value of the scenario header, to tell a second copy of the row apart. */
    public String message(String scenarioId) {
        StringBuilder message = new StringBuilder()
            .append("From: ").append(envelopeSender.isEmpty() ? "MAILER-DAEMON@evil.example" : envelopeSender).append("\r\n")
            .append("To: ").append(RECIPIENT).append("\r\n")
            .append("Subject: Relay Guard scenario ").append(name()).append("\r\n")
            .append("Message-ID: <").append(scenarioId.toLowerCase()).append("@relayguard.test>\r\n")
            .append(SCENARIO_HEADER).append(": ").append(scenarioId).append("\r\n");
        messageSource.ifPresent(value -> message.append("x-ms-exchange-generated-message-source: ").append(value.toLowerCase()).append("\r\n"));
        for (int i = 0; i < originatorOrgs.size(); i++) {
            message.append(i % 2 == 0 ? "X-OriginatorOrg: " : "x-originatororg: ").append(originatorOrgs.get(i)).append("\r\n");
        }
        return message.append("\r\nHello from scenario ").append(name()).append(".\r\n").toString();
    }

    /** Sends this scenario's mail to a running gateway and returns the server's reply to DATA. */
    public SmtpClient.Reply sendTo(JamesServer james) throws java.io.IOException {
        try (SmtpClient client = connect(james)) {
            return client.send(envelopeSender, List.of(RECIPIENT), message());
        }
    }

    /** The scenario header value of this row's copy sent by {@link #sendByBdatTo}. */
    public String bdatId() {
        return name() + "-BDAT";
    }

    /**
     * Sends this scenario's mail by CHUNKING instead of DATA (BDAT chunks of 7 bytes, header
     * {@link #bdatId()}), to a gateway that offers CHUNKING; returns the reply to the last chunk.
     */
    public SmtpClient.Reply sendByBdatTo(JamesServer james) throws java.io.IOException {
        try (SmtpClient client = connect(james)) {
            client.ehlo();
            return client.transactionByBdat(envelopeSender, "", List.of(RECIPIENT),
                message(bdatId()).getBytes(java.nio.charset.StandardCharsets.UTF_8), 7);
        }
    }

    /** A connection from where this scenario's mail comes (the listener and source address it needs). */
    public SmtpClient connect(JamesServer james) throws java.io.IOException {
        switch (source) {
            case M365_HOSTNAME:
                return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.M365_HOST_SOURCE), Optional.empty());
            case M365_IP_WITHOUT_PTR:
                return SmtpClient.connect(james.proxySmtpPort(), Optional.empty(), Optional.of(JamesServer.M365_IP_WITHOUT_PTR));
            default:
                return SmtpClient.connect(james.smtpPort(), Optional.of(JamesServer.INTERNET_HOST_SOURCE), Optional.empty());
        }
    }
}
