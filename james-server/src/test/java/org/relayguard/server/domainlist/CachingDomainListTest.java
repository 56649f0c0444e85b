package org.relayguard.server.domainlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;


import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

class CachingDomainListTest {
    private static final Domain CONTOSO = Domain.of("contoso.com");
    private static final Domain FABRIKAM = Domain.of("fabrikam.example");

    private MemoryDomainList stored;
    private MutableClock clock;
    private CachingDomainList domainList;

    @BeforeEach
    void setUp() throws Exception {
        stored = new MemoryDomainList(Mockito.mock(DNSService.class));
        stored.configure(DomainListConfiguration.builder()
            .autoDetect(false)
            .autoDetectIp(false)
            .defaultDomain(CONTOSO)
            .build());
        clock = new MutableClock();
        domainList = new CachingDomainList(stored, clock);
    }

    @Test
    void containsDomainShouldAnswerFromTheStoredDomains() throws Exception {
        assertThat(domainList.containsDomain(CONTOSO)).isTrue();
        assertThat(domainList.containsDomain(FABRIKAM)).isFalse();
    }

    @Test
    void aDomainAddedThroughItCountsForTheVeryNextQuestion() throws Exception {
        assertThat(domainList.containsDomain(FABRIKAM)).isFalse();

        domainList.addDomain(FABRIKAM);

        assertThat(domainList.containsDomain(FABRIKAM)).isTrue();
        assertThat(stored.containsDomain(FABRIKAM)).as("stored, not only remembered").isTrue();
    }

    @Test
    void aDomainRemovedThroughItStopsCountingAtOnce() throws Exception {
        domainList.addDomain(FABRIKAM);

        domainList.removeDomain(FABRIKAM);

        assertThat(domainList.containsDomain(FABRIKAM)).isFalse();
        assertThat(domainList.getDomains()).containsExactly(CONTOSO);
    }

    @Test
    void aChangeMadeElsewhereCountsOnceTheCopyIsOlderThanTheRefreshPeriod() throws Exception {
        assertThat(domainList.containsDomain(FABRIKAM)).isFalse();
        stored.addDomain(FABRIKAM);

        clock.advance(CachingDomainList.REFRESH);
        assertThat(domainList.containsDomain(FABRIKAM)).as("not older than the period yet").isFalse();

        clock.advance(Duration.ofMillis(1));
        assertThat(domainList.containsDomain(FABRIKAM)).isTrue();
    }

    @Test
    void aStoreThatCannotBeReadFailsTheQuestion() throws Exception {
        DomainList broken = Mockito.mock(DomainList.class);
        Mockito.when(broken.getDomains()).thenThrow(new DomainListException("database down"));

        assertThatThrownBy(() -> new CachingDomainList(broken, clock).containsDomain(CONTOSO))
            .isInstanceOf(DomainListException.class)
            .hasMessage("database down");
    }

    @Test
    void aFailedAdditionStillRereadsTheStore() throws Exception {
        domainList.addDomain(FABRIKAM);
        stored.addDomain(Domain.of("added-elsewhere.example"));

        assertThatThrownBy(() -> domainList.addDomain(FABRIKAM)).isInstanceOf(DomainListException.class);

        assertThat(domainList.getDomains()).contains(Domain.of("added-elsewhere.example"));
    }

    @Test
    void theDefaultDomainIsTheStoredOne() throws Exception {
        assertThat(domainList.getDefaultDomain()).isEqualTo(CONTOSO);
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-11-30T12:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

}
