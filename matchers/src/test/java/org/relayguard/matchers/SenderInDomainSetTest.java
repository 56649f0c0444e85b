package org.relayguard.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Collection;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SenderInDomainSetTest {
    private static final String RECIPIENT = "someone@external.example";

    private MemoryDomainList domainList;

    @BeforeEach
    void setUp() throws Exception {
        domainList = new MemoryDomainList(mock(DNSService.class));
        domainList.configure(DomainListConfiguration.builder()
            .autoDetect(false)
            .autoDetectIp(false)
            .build());
        domainList.addDomain(Domain.of("contoso.com"));
    }

    private SenderInDomainSet matcher(String condition) throws MessagingException {
        return matcher(condition, domainList);
    }

    private static SenderInDomainSet matcher(String condition, DomainList domainList) throws MessagingException {
        SenderInDomainSet matcher = new SenderInDomainSet(domainList);
        matcher.init(FakeMatcherConfig.builder()
            .matcherName("SenderInDomainSet")
            .condition(condition)
            .build());
        return matcher;
    }

    private Collection<MailAddress> matchSender(String condition, String sender) throws MessagingException {
        return matcher(condition).match(mailFrom(sender));
    }

    private static FakeMail mailFrom(String sender) throws MessagingException {
        return FakeMail.builder()
            .name("mail")
            .sender(sender)
            .recipient(RECIPIENT)
            .build();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenSenderDomainIsListed() throws Exception {
        assertThat(matchSender("contoso.com", "a@contoso.com")).containsExactly(new MailAddress(RECIPIENT));
    }

    @Test
    void matchShouldReturnNoRecipientWhenSenderDomainIsNotListed() throws Exception {
        assertThat(matchSender("contoso.com", "a@evil.example")).isEmpty();
    }

    @Test
    void matchShouldNotTreatAPlainEntryAsCoveringSubdomains() throws Exception {
        assertThat(matchSender("contoso.com", "a@mail.contoso.com")).isEmpty();
    }

    @Test
    void matchShouldReturnAllRecipientsWhenSenderDomainIsStrictlyBelowADotEntry() throws Exception {
        assertThat(matchSender(".contoso.com", "a@eu.mail.contoso.com")).hasSize(1);
    }

    @Test
    void matchShouldReturnNoRecipientWhenSenderDomainEqualsADotEntry() throws Exception {
        assertThat(matchSender(".contoso.com", "a@contoso.com")).isEmpty();
    }

    @Test
    void matchShouldRespectLabelBoundariesOfADotEntry() throws Exception {
        assertThat(matchSender(".contoso.com", "a@evilcontoso.com")).isEmpty();
        assertThat(matchSender(".contoso.com", "a@contoso.com.evil.example")).isEmpty();
    }

    @Test
    void matchShouldIgnoreCase() throws Exception {
        assertThat(matchSender("CONTOSO.com", "a@Contoso.COM")).hasSize(1);
        assertThat(matchSender("@domainlist", "a@CONTOSO.com")).hasSize(1);
    }

    @Test
    void matchShouldReturnAllRecipientsWhenSenderDomainIsInTheDomainList() throws Exception {
        assertThat(matchSender("@domainlist", "a@contoso.com")).hasSize(1);
        assertThat(matchSender("@domainlist", "a@fabrikam.com")).isEmpty();
    }

    @Test
    void matchShouldSeeADomainAddedToTheDomainListAfterInit() throws Exception {
        SenderInDomainSet matcher = matcher("@domainlist");
        assertThat(matcher.match(mailFrom("a@fabrikam.com"))).isEmpty();

        domainList.addDomain(Domain.of("fabrikam.com"));

        assertThat(matcher.match(mailFrom("a@fabrikam.com"))).hasSize(1);
    }

    @Test
    void matchShouldNoLongerMatchADomainRemovedFromTheDomainList() throws Exception {
        SenderInDomainSet matcher = matcher("@domainlist");
        domainList.removeDomain(Domain.of("contoso.com"));

        assertThat(matcher.match(mailFrom("a@contoso.com"))).isEmpty();
    }

    @Test
    void matchShouldAcceptMixedEntries() throws Exception {
        String condition = "@domainlist, contoso.onmicrosoft.com, .fabrikam.com";
        assertThat(matchSender(condition, "a@contoso.com")).hasSize(1);
        assertThat(matchSender(condition, "a@contoso.onmicrosoft.com")).hasSize(1);
        assertThat(matchSender(condition, "a@eu.fabrikam.com")).hasSize(1);
        assertThat(matchSender(condition, "a@fabrikam.com")).isEmpty();
        assertThat(matchSender(condition, "a@evil.example")).isEmpty();
    }

    @Test
    void matchShouldReturnNoRecipientForTheNullSender() throws Exception {
        FakeMail bounce = FakeMail.builder()
            .name("bounce")
            .sender(MaybeSender.nullSender())
            .recipient(RECIPIENT)
            .build();

        assertThat(matcher("@domainlist, contoso.com, .com").match(bounce)).isEmpty();
    }

    @Test
    void matchShouldAcceptASrsRewrittenSenderInOurDomain() throws Exception {
        assertThat(matchSender("@domainlist", "bounces+SRS=x=y=z@contoso.com")).hasSize(1);
    }

    @Test
    void matchShouldCompareAUnicodeEntryWithAPunycodeSender() throws Exception {
        assertThat(matchSender("bücher.example", "a@xn--bcher-kva.example")).hasSize(1);
    }

    @Test
    void matchShouldFindAUnicodeDomainListEntryForAPunycodeSender() throws Exception {
        domainList.addDomain(Domain.of("bücher.example"));

        assertThat(matchSender("@domainlist", "a@xn--bcher-kva.example")).hasSize(1);
    }

    @Test
    void matchShouldFindAPunycodeDomainListEntryForAPunycodeSender() throws Exception {
        domainList.addDomain(Domain.of("xn--bcher-kva.example"));

        assertThat(matchSender("@domainlist", "a@XN--BCHER-KVA.example")).hasSize(1);
    }

    @Test
    void matchShouldCompareAUnicodeDotEntryWithAPunycodeSender() throws Exception {
        assertThat(matchSender(".bücher.example", "a@mx.xn--bcher-kva.example")).hasSize(1);
    }

    @Test
    void matchShouldThrowNamingTheMatcherWhenTheDomainListCannotBeRead() throws Exception {
        DomainList broken = mock(DomainList.class);
        when(broken.containsDomain(any())).thenThrow(new DomainListException("backend down"));
        SenderInDomainSet matcher = matcher("@domainlist", broken);

        assertThatThrownBy(() -> matcher.match(mailFrom("a@contoso.com")))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderInDomainSet");
    }

    @Test
    void matchShouldNotNeedTheDomainListWhenAConfiguredDomainHoldsTheSender() throws Exception {
        DomainList broken = mock(DomainList.class);
        when(broken.containsDomain(any())).thenThrow(new DomainListException("backend down"));
        SenderInDomainSet matcher = matcher("@domainlist, contoso.com, .eu.contoso.com", broken);

        assertThat(matcher.match(mailFrom("a@contoso.com"))).hasSize(1);
        assertThat(matcher.match(mailFrom("a@mx.eu.contoso.com"))).hasSize(1);
        assertThatThrownBy(() -> matcher.match(mailFrom("a@evil.example")))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderInDomainSet");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"  "})
    void initShouldThrowWhenConditionIsEmpty(String condition) {
        assertThatThrownBy(() -> matcher(condition))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderInDomainSet")
            .hasMessageContaining("condition is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"@domains", "@", "contoso..com", "*.contoso.com", "contoso com", "..contoso.com", "1.2.3.4"})
    void initShouldThrowWhenAnEntryIsInvalid(String entry) {
        assertThatThrownBy(() -> matcher("contoso.com, " + entry))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderInDomainSet")
            .hasMessageContaining(entry);
    }

    @Test
    void initShouldThrowWhenAnEntryIsEmpty() {
        assertThatThrownBy(() -> matcher("contoso.com, "))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("SenderInDomainSet")
            .hasMessageContaining("empty entry");
    }

    @Test
    void initShouldAcceptTheDomainListKeywordInAnyCase() throws Exception {
        assertThat(matchSender("@DomainList", "a@contoso.com")).hasSize(1);
    }
}
