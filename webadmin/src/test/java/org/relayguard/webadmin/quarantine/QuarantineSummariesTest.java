package org.relayguard.webadmin.quarantine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.relayguard.webadmin.quarantine.QuarantineMails.mail;
import static org.relayguard.webadmin.quarantine.QuarantineMails.org;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.memory.MemoryMailRepository;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.relayguard.core.tenants.Tenants;
import org.relayguard.webadmin.configuration.AllowedOrgs;
import org.relayguard.webadmin.configuration.ConfiguredTenants;
import org.relayguard.webadmin.dto.QuarantineReport;
import org.relayguard.webadmin.dto.ReportParameters;

class QuarantineSummariesTest {
    private static final AllowedOrgs ALLOWED = AllowedOrgs.of(List.of("contoso.onmicrosoft.com", "contoso.com"), "test");

    /** James's memory repository, counting the mails it reads. */
    private static final class CountingRepository implements MailRepository {
        private final MemoryMailRepository mails = new MemoryMailRepository();
        private final Map<String, Integer> retrieved = Collections.synchronizedMap(new HashMap<>());

        @Override
        public long size() throws MessagingException {
            return mails.size();
        }

        @Override
        public MailKey store(Mail mail) throws MessagingException {
            return mails.store(mail);
        }

        @Override
        public Iterator<MailKey> list() throws MessagingException {
            return mails.list();
        }

        @Override
        public Mail retrieve(MailKey key) throws MessagingException {
            retrieved.merge(key.asString(), 1, Integer::sum);
            return mails.retrieve(key);
        }

        @Override
        public void remove(MailKey key) throws MessagingException {
            mails.remove(key);
        }

        @Override
        public void removeAll() throws MessagingException {
            mails.removeAll();
        }

        int retrieved(String key) {
            return retrieved.getOrDefault(key, 0);
        }
    }

    private final CountingRepository repository = new CountingRepository();
    private final QuarantineSummaries summaries = new QuarantineSummaries(ConfiguredTenants.none());

    private List<MailSummary> visit() throws MessagingException {
        List<MailSummary> visited = new ArrayList<>();
        summaries.forEach(repository, visited::add);
        return visited;
    }

    private QuarantineReport report(List<String> domainList) throws MessagingException {
        QuarantineScan scan = new QuarantineScan(ALLOWED, ConfiguredTenants.none(), new ReportParameters(20, 3, Optional.empty()),
            QuarantineScan.DEFAULT_MAX_GROUPS, domainList);
        summaries.forEach(repository, scan::add);
        return scan.finish("memory");
    }

    @Test
    void everyMailShouldBeReadOnceHoweverManyRequestsSeeIt() throws Exception {
        repository.store(org("m1", 1, "evil.example"));
        repository.store(org("m2", 2, "contoso.com", "evil.example"));

        visit();
        List<MailSummary> second = visit();

        assertThat(second).extracting(MailSummary::key).containsExactlyInAnyOrder("m1", "m2");
        assertThat(repository.retrieved("m1")).isEqualTo(1);
        assertThat(repository.retrieved("m2")).isEqualTo(1);
        assertThat(summaries.size()).isEqualTo(2);
    }

    @Test
    void aMailStoredOrRemovedBehindItsBackShouldCountAtTheNextRequest() throws Exception {
        // As another gateway sharing the quarantine, or James's own release route, would do
        repository.store(org("m1", 1, "evil.example"));
        assertThat(report(List.of()).getMails()).isEqualTo(1);

        repository.store(org("m2", 2, "other.example"));
        repository.remove(new MailKey("m1"));
        QuarantineReport report = report(List.of());

        assertThat(report.getMails()).isEqualTo(1);
        assertThat(report.getGroups().get("originatorOrg").getGroups())
            .extracting(Group::getValue, Group::getCount)
            .containsExactly(tuple("other.example", 1L));
        assertThat(summaries.size()).isEqualTo(1);
    }

    @Test
    void aMailForgottenAfterItsDeleteShouldBeLeftOutEvenBeforeTheNextListing() throws Exception {
        repository.store(org("m1", 1, "evil.example"));
        visit();

        repository.remove(new MailKey("m1"));
        summaries.forget(repository, new MailKey("m1"));

        assertThat(summaries.size()).isZero();
        assertThat(visit()).isEmpty();
    }

    @Test
    void aMailWithMoreSenderTextThanTheCapShouldBeReadOnEveryRequestAndJudgedWhole() throws Exception {
        String[] orgs = new String[60];
        for (int i = 0; i < orgs.length; i++) {
            orgs[i] = "forged" + i + ".example";
        }
        orgs[59] = "contoso.com";
        repository.store(org("big", 1, orgs));
        repository.store(org("small", 2, "evil.example"));

        visit();
        QuarantineReport report = report(List.of());

        assertThat(summaries.size()).as("only the small mail is kept").isEqualTo(1);
        assertThat(repository.retrieved("small")).isEqualTo(1);
        assertThat(repository.retrieved("big")).as("read in the listing the first time, then once per request").isEqualTo(3);
        assertThat(report.getConditions()).containsEntry("org-mixed-instances", 1L).containsEntry("org-not-allowed", 1L);
    }

    @Test
    void judgementsShouldFollowTheDomainListOfEachRequest() throws Exception {
        ConfiguredTenants tenants = ConfiguredTenants.of(Tenants.parse("test",
            "contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com; smarthost mx.contoso.com"), "test");
        QuarantineSummaries withTenants = new QuarantineSummaries(tenants);
        FakeMail binding = mail("m1", "ceo@partner.example", "mail-x.outbound.protection.outlook.com", 1, "X-OriginatorOrg: contoso.com");
        binding.setErrorMessage("relayguard rule=tenant-binding route=m365_mail");
        repository.store(binding);

        List<Map<String, Long>> conditions = new ArrayList<>();
        for (List<String> domainList : List.of(List.of("contoso.com"), List.of("contoso.com", "partner.example"))) {
            QuarantineScan scan = new QuarantineScan(ALLOWED, tenants, new ReportParameters(20, 3, Optional.empty()),
                QuarantineScan.DEFAULT_MAX_GROUPS, domainList);
            withTenants.forEach(repository, scan::add);
            conditions.add(scan.finish("memory").getConditions());
        }

        assertThat(repository.retrieved("m1")).isEqualTo(1);
        assertThat(conditions.get(0)).containsEntry("tenant-allowed", 1L).containsEntry("domain-unowned", 0L);
        assertThat(conditions.get(1)).containsEntry("domain-unowned", 1L).containsEntry("tenant-allowed", 0L);
    }

    @Test
    void aMailQuarantinedAgainUnderItsKeyShouldBeReadAgainOnceItWasReadWhole() throws Exception {
        repository.store(org("m1", 1, "evil.example"));
        visit();
        // Reprocessed by James to a processor that quarantined it again: same key, newer, no request between
        repository.remove(new MailKey("m1"));
        FakeMail again = org("m1", 5, "other.example");
        repository.store(again);
        assertThat(visit()).extracting(summary -> summary.evidence().originatorOrgs().orElseThrow())
            .as("the key never left the listing: the first summary stands")
            .containsExactly(List.of("evil.example"));

        summaries.verify(repository, new MailKey("m1"), repository.retrieve(new MailKey("m1")));

        assertThat(visit()).extracting(summary -> summary.evidence().originatorOrgs().orElseThrow())
            .containsExactly(List.of("other.example"));
    }

    @Test
    void summariesShouldShareTheValuesOfDifferentMails() throws Exception {
        repository.store(org("m1", 1, "Evil.example"));
        repository.store(org("m2", 2, "evil.example"));

        List<MailSummary> visited = visit();

        assertThat(visited.get(0).evidence().originatorOrgs().orElseThrow())
            .isSameAs(visited.get(1).evidence().originatorOrgs().orElseThrow());
        assertThat(visited.get(0).remoteHost().orElseThrow()).isSameAs(visited.get(1).remoteHost().orElseThrow());
    }
}
