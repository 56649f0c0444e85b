package org.relayguard.tools.load;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.Scenario;

/**
 * The kinds of mail a gateway in front of Microsoft 365 sees, as the load and accounting runs send
 * them: who connects, the envelope, the headers, and what the hardened profile decides (SPEC's
 * decision table). Messages look like real ones (about 3 KB, the headers Exchange Online stamps),
 * so that James parses and stores what it would in service.
 */
public enum MailKind {
    /** Our tenant's outbound mail: our envelope domain and our X-OriginatorOrg. */
    OUR_TENANT(true, Scenario.Decision.RELAY),
    /** A forward by one of our users' inbox rules: SRS sender in our domain, Mailbox Rules Agent, the original org. */
    FORWARD(true, Scenario.Decision.RELAY),
    /** Another tenant relaying through us: its own org, and every other mail also our envelope domain. */
    FOREIGN_TENANT(true, Scenario.Decision.DENY),
    /** Ordinary internet mail for our users: not from Microsoft 365, untouched by the rules. */
    INTERNET(false, Scenario.Decision.RELAY);

    public static final String ID_HEADER = "X-Relayguard-Load";
    private static final String BODY_LINE = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.\r\n";
    private static final String BODY = BODY_LINE.repeat(16);

    public final boolean fromM365;
    public final Scenario.Decision hardened;

    MailKind(boolean fromM365, Scenario.Decision hardened) {
        this.fromM365 = fromM365;
        this.hardened = hardened;
    }

    /** The loopback source the hosts file names as a Microsoft 365 or an internet host. */
    public String source() {
        return fromM365 ? JamesServer.M365_HOST_SOURCE : JamesServer.INTERNET_HOST_SOURCE;
    }

    /** The envelope sender of the n-th mail of this kind. */
    public String envelopeSender(int n) {
        switch (this) {
            case OUR_TENANT:
                return "user" + (n % 50) + "@contoso.com";
            case FORWARD:
                return "bounces+SRS=k" + n + "=news.example.net=user" + (n % 50) + "@contoso.com";
            case FOREIGN_TENANT:
                return n % 2 == 0 ? "sales@fabrikam.example" : "ceo@contoso.com";
            default:
                return "newsletter@example.org";
        }
    }

    /**
     * The internet domains mail from Microsoft 365 goes to, in turn: each has MX records of its own
     * where the internet route resolves them ({@code ./perf.sh peer --internet-route mx}).
     */
    public static final List<String> INTERNET_DOMAINS = List.of("external.example", "northwind.example", "tailspin.example");
    /** The internet domain of SMTPUTF8 mail from Microsoft 365: a U-label (RFC 6531), whose A-label is {@value #IDN_DOMAIN_A_LABEL}. */
    public static final String IDN_DOMAIN = "bücher.example";
    public static final String IDN_DOMAIN_A_LABEL = "xn--bcher-kva.example";

    public List<String> recipients(int n) {
        return recipients(n, false);
    }

    /**
     * The recipient of the n-th mail of this kind. With {@code smtpUtf8}, an address only SMTPUTF8
     * can carry: mail from Microsoft 365 goes to a U-label domain ({@value #IDN_DOMAIN}, ASCII local
     * part), internet mail to one of our users with a UTF-8 local part.
     */
    public List<String> recipients(int n, boolean smtpUtf8) {
        if (toOurDomains()) {
            return List.of((smtpUtf8 ? "jürgen.müller" : "user") + (n % 50) + "@contoso.com");
        }
        return List.of("someone" + (n % 20) + "@" + (smtpUtf8 ? IDN_DOMAIN : INTERNET_DOMAINS.get(n % INTERNET_DOMAINS.size())));
    }

    /** Mail for our users (James's DomainList) goes to the Microsoft 365 smart host; all other mail to the internet. */
    public boolean toOurDomains() {
        return this == INTERNET;
    }

    public byte[] message(String id, int n) {
        return message(id, n, false);
    }

    /**
     * The message; with {@code allExchangeHeaders}, a mail from Microsoft 365 also carries the
     * authentication, anti-spam and cross-tenant headers that Exchange Online adds and no rule
     * reads (41 headers in all with the id header, as in service), so that a gateway parses and
     * stores what it would.
     */
    public byte[] message(String id, int n, boolean allExchangeHeaders) {
        return message(id, n, allExchangeHeaders, false);
    }

    /**
     * As {@link #message(String, int, boolean)}; with {@code smtpUtf8}, for the recipient of
     * {@link #recipients(int, boolean)}, whose UTF-8 address the {@code To:} field holds as it is
     * (RFC 6532), as Exchange Online writes it.
     */
    public byte[] message(String id, int n, boolean allExchangeHeaders, boolean smtpUtf8) {
        StringBuilder message = new StringBuilder(4096);
        if (fromM365) {
            message.append("Received: from AM0PR0" + (n % 9) + "MB1234.eurprd0" + (n % 5) + ".prod.outlook.com (2603:10a6:208:1a::2" + (n % 9) + ")\r\n"
                    + " by AM0PR0" + (n % 9) + "MB1234.eurprd0" + (n % 5) + ".prod.outlook.com with HTTPS; Mon, 2 Sep 2024 10:00:00 +0000\r\n")
                .append("ARC-Seal: i=1; a=rsa-sha256; s=arcselector9901; d=microsoft.com; cv=none;\r\n"
                    + " b=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n");
        } else {
            message.append("Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n"
                    + " by mx.example.org with ESMTPS id " + n + "; Mon, 2 Sep 2024 10:00:00 +0000\r\n")
                .append("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\r\n"
                    + " h=from:to:subject:date:message-id; bh=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE=;\r\n"
                    + " b=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n");
        }
        String sender = envelopeSender(n).contains("SRS") ? "user" + (n % 50) + "@contoso.com" : envelopeSender(n);
        message.append("From: ").append(sender).append("\r\n")
            .append("To: ").append(recipients(n, smtpUtf8).get(0)).append("\r\n")
            .append("Subject: Relay Guard load ").append(name()).append(' ').append(n).append("\r\n")
            .append("Date: Mon, 2 Sep 2024 10:00:00 +0000\r\n")
            .append("Message-ID: <").append(id).append("@relayguard.test>\r\n")
            .append(ID_HEADER).append(": ").append(id).append("\r\n")
            .append("MIME-Version: 1.0\r\n")
            .append("Content-Type: text/plain; charset=\"us-ascii\"\r\n")
            .append("Content-Transfer-Encoding: 7bit\r\n");
        if (fromM365) {
            message.append("X-MS-Has-Attach: \r\n")
                .append("X-MS-TNEF-Correlator: \r\n")
                .append("X-MS-PublicTrafficType: Email\r\n")
                .append("X-MS-TrafficTypeDiagnostic: AM0PR04MB1234:EE_|DB9PR04MB5678:EE_\r\n")
                .append("X-MS-Exchange-Organization-Network-Message-Id: 0b7f4a8e-" + n + "-4c1e-8d2a-08dcc1a2b3c4\r\n")
                .append("X-MS-Exchange-CrossTenant-Network-Message-Id: 0b7f4a8e-" + n + "-4c1e-8d2a-08dcc1a2b3c4\r\n")
                .append("X-MS-Exchange-CrossTenant-OriginalArrivalTime: 02 Sep 2024 10:00:00.0000 (UTC)\r\n")
                .append("X-MS-Exchange-CrossTenant-FromEntityHeader: Hosted\r\n")
                .append("X-MS-Exchange-CrossTenant-Id: 72f988bf-86f1-41af-91ab-2d7cd011db47\r\n")
                .append("X-MS-Exchange-Transport-CrossTenantHeadersStamped: AM0PR04MB1234\r\n")
                .append("X-Microsoft-Antispam: BCL:0;ARA:13230040|366016|1800799024|376014;\r\n");
            if (allExchangeHeaders) {
                message.append(exchangeHeaders(n));
            }
            if (this == FORWARD) {
                message.append("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r\n");
            }
            message.append("X-OriginatorOrg: ").append(originatorOrg(n)).append("\r\n");
        }
        message.append("\r\n").append(BODY);
        return message.toString().getBytes(smtpUtf8 ? StandardCharsets.UTF_8 : StandardCharsets.US_ASCII);
    }

    /** 17 headers of a real Exchange Online message that no rule reads, several of them folded. */
    private static String exchangeHeaders(int n) {
        return "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com; s=arcselector9901;\r\n"
            + " h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-AntiSpam-MessageData-ChunkCount;\r\n"
            + " bh=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE=;\r\n"
            + " b=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n"
            + "ARC-Authentication-Results: i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=contoso.com;\r\n"
            + " dmarc=pass action=none header.from=contoso.com; dkim=pass header.d=contoso.com; arc=none\r\n"
            + "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=contoso.onmicrosoft.com; s=selector1-contoso-onmicrosoft-com;\r\n"
            + " h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-SenderADCheck;\r\n"
            + " bh=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE=; b=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n"
            + "Authentication-Results: dkim=none (message not signed) header.d=none;dmarc=none action=none header.from=contoso.com;\r\n"
            + "Thread-Topic: Relay Guard load " + n + "\r\n"
            + "Thread-Index: AQHa/Zm9vYmFyYmF6cXV4Zm9vYmFy" + (n % 10) + "==\r\n"
            + "Accept-Language: en-US\r\n"
            + "Content-Language: en-US\r\n"
            + "X-MS-Office365-Filtering-Correlation-Id: 3c1d2e4f-" + n + "-4a5b-08dcc1a2b3c4\r\n"
            + "X-MS-Exchange-SenderADCheck: 1\r\n"
            + "X-MS-Exchange-AntiSpam-Relay: 0\r\n"
            + "X-Microsoft-Antispam-Message-Info: Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n"
            + " Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n"
            + "X-Forefront-Antispam-Report: CIP:255.255.255.255;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:AM0PR04MB1234.eurprd04.prod.outlook.com;\r\n"
            + " PTR:;CAT:NONE;SFS:(13230040)(366016)(1800799024)(376014)(38070700018);DIR:OUT;SFP:1101;\r\n"
            + "X-MS-Exchange-AntiSpam-MessageData-ChunkCount: 1\r\n"
            + "X-MS-Exchange-AntiSpam-MessageData-0: Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4\r\n"
            + "X-MS-Exchange-CrossTenant-AuthAs: Internal\r\n"
            + "X-MS-Exchange-CrossTenant-AuthSource: AM0PR04MB1234.eurprd04.prod.outlook.com\r\n"
            + "X-MS-Exchange-CrossTenant-mailboxtype: HOSTED\r\n";
    }

    private String originatorOrg(int n) {
        switch (this) {
            case OUR_TENANT:
                return n % 2 == 0 ? "contoso.com" : "contoso.onmicrosoft.com";
            case FORWARD:
                return "fabrikam.com";
            default:
                return "fabrikam.onmicrosoft.com";
        }
    }
}
