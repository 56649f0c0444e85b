package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.relayguard.tools.harness.JamesServer;
import org.relayguard.tools.harness.NextHops;
import org.relayguard.tools.harness.Outcomes;
import org.relayguard.tools.harness.SmtpSink;
import org.relayguard.tools.load.Accounting;
import org.relayguard.tools.load.LoadRun;
import org.relayguard.tools.load.MailKind;
import org.relayguard.tools.load.Mix;

/**
 * Exact accounting after a load run, sized for CI: 400 mails of the load driver's default mix over
 * 8 concurrent SMTP clients to the shipped hardened gateway, in audit and in enforce mode. Every
 * mail is relayed and quarantined exactly as often as the mix predicts (a second copy would be a
 * duplicate), nothing else arrives, and the error repository stays empty. The mails go as the
 * drivers send them: 30 % of those from Microsoft 365 by BDAT, 5 % of all with SMTPUTF8, and each
 * reaches its next hop with the envelope it was sent with (UTF-8 addresses included).
 */
class LoadAccountingTest {
    private static final int MAILS = 400;
    private static final int CONNECTIONS = 8;

    @ParameterizedTest(name = "enforce={0}")
    @ValueSource(booleans = {false, true})
    void everyMailOfALoadRunEndsWhereTheMixPredicts(boolean enforce) throws Exception {
        List<LoadRun.Mail> mails = LoadRun.mails("accounting", Mix.parse(Mix.DEFAULT), MAILS, 7, false, LoadRun.Extensions.DEFAULT);
        Map<MailKind, Long> kinds = mails.stream().collect(Collectors.groupingBy(mail -> mail.kind, Collectors.counting()));
        // 70/5/5/20 of 400: the counts the assertions below are predicted from.
        assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of(
            MailKind.OUR_TENANT, 280L, MailKind.FORWARD, 20L, MailKind.FOREIGN_TENANT, 20L, MailKind.INTERNET, 80L));
        int deniedMails = 20;
        // 30 % of the 320 from Microsoft 365, 5 % of all 400.
        assertThat(mails.stream().filter(mail -> mail.bdat)).hasSize(96).allMatch(mail -> mail.kind.fromM365);
        List<LoadRun.Mail> smtpUtf8 = mails.stream().filter(mail -> mail.smtpUtf8).collect(Collectors.toList());
        assertThat(smtpUtf8).hasSize(20);

        try (NextHops hops = NextHops.start();
             JamesServer james = JamesServer.builder().enforce(enforce).nextHops(hops).start()) {
            int expectedRelayed = enforce ? MAILS - deniedMails : MAILS;
            LoadRun load = new LoadRun(james, hops, CONNECTIONS, 50);
            load.send(mails, expectedRelayed, Duration.ofMinutes(5));

            Outcomes outcomes = Outcomes.await(james, hops, expectedRelayed, MailKind.ID_HEADER, Duration.ofMinutes(2));
            Accounting accounting = Accounting.of(outcomes, mails, Accounting.Pipeline.HARDENED, enforce, hops);

            assertThat(accounting.problems).as(accounting.toString()).isEmpty();
            assertThat(accounting.relayed).as("relayed copies").isEqualTo(expectedRelayed);
            assertThat(accounting.quarantined).as("quarantined copies").isEqualTo(deniedMails);
            assertThat(quarantinedKinds(outcomes, mails)).as("what the quarantine holds")
                .containsOnlyKeys(MailKind.FOREIGN_TENANT);
            assertThat(accounting.errorRepositorySize).isZero();
            assertThat(load.sentByBdat()).as("the gateway offers CHUNKING").isEqualTo(96);
            // A UTF-8 recipient arrives as written, with SMTPUTF8 on its MAIL (the next hops offer it).
            List<SmtpSink.Received> utf8 = new ArrayList<>(hops.internet().received());
            utf8.addAll(hops.m365().received());
            utf8.removeIf(received -> !received.mailCommand.contains(" SMTPUTF8"));
            assertThat(utf8).extracting(received -> received.rcptTo.get(0))
                .anyMatch(recipient -> recipient.startsWith("jürgen.müller"))
                .anyMatch(recipient -> recipient.endsWith("@" + MailKind.IDN_DOMAIN));
            assertThat(utf8.size()).isEqualTo(smtpUtf8.stream().mapToInt(mail -> Accounting.expectedRelayed(mail, Accounting.Pipeline.HARDENED, enforce)).sum());
        }
    }

    private static Map<MailKind, Integer> quarantinedKinds(Outcomes outcomes, List<LoadRun.Mail> mails) {
        Map<String, MailKind> kindById = mails.stream().collect(Collectors.toMap(mail -> mail.id, mail -> mail.kind));
        return outcomes.quarantinedCopies().entrySet().stream()
            .collect(Collectors.groupingBy(entry -> kindById.get(entry.getKey()), Collectors.summingInt(Map.Entry::getValue)));
    }
}
