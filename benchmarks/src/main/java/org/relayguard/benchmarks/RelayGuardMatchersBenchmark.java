package org.relayguard.benchmarks;

import java.util.Collection;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.lib.DomainListConfiguration;
import org.apache.james.domainlist.memory.MemoryDomainList;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.relayguard.matchers.HeaderNotContains;
import org.relayguard.matchers.HeaderNotEquals;
import org.relayguard.matchers.SenderHostnameEndsWith;
import org.relayguard.matchers.SenderInDomainSet;
import org.relayguard.matchers.SenderNotOwnedByTenant;

/**
 * Each Relay Guard matcher on the mail of {@link HasHeaderBenchmark}, with {@code entries} values in
 * its condition (tenant orgs, host suffixes, domains, tenants): {@code entries - 1} other values first
 * and the one this mail needs last, so that a matcher that scanned its list would show it.
 */
public class RelayGuardMatchersBenchmark extends MatcherBenchmark {
    @Param({"1", "10", "100", "1000"})
    public int entries;

    private HeaderNotEquals headerNotEquals;
    private HeaderNotContains headerNotContains;
    private SenderHostnameEndsWith senderHostnameEndsWith;
    private SenderInDomainSet senderInDomainSet;
    private SenderInDomainSet senderInDomainList;
    private SenderNotOwnedByTenant senderNotOwnedByTenant;

    @Setup
    public void setUp() throws Exception {
        String orgs = list(i -> "tenant" + i + ".onmicrosoft.com", "contoso.com");
        headerNotEquals = Matchers.init(new HeaderNotEquals(), "HeaderNotEquals", "X-OriginatorOrg:" + orgs);
        headerNotContains = Matchers.init(new HeaderNotContains(), "HeaderNotContains", "X-OriginatorOrg:" + orgs);
        senderHostnameEndsWith = Matchers.init(new SenderHostnameEndsWith(), "SenderHostnameEndsWith",
            list(i -> ".relay" + i + ".example.net", ".protection.outlook.com"));
        senderInDomainSet = Matchers.init(new SenderInDomainSet(new MemoryDomainList(new NoDnsService())), "SenderInDomainSet",
            list(i -> "domain" + i + ".example", "contoso.com"));
        senderInDomainList = Matchers.init(new SenderInDomainSet(domainList()), "SenderInDomainSet", "@domainlist");
        // entries tenants, each with its orgs and domains: the mail's own tenant (contoso, which owns
        // its sender's domain and whose org its X-OriginatorOrg is) last. Both lookups and the header
        // read run, and the binding holds: no match.
        senderNotOwnedByTenant = Matchers.init(new SenderNotOwnedByTenant(new MemoryDomainList(new NoDnsService())), "SenderNotOwnedByTenant",
            Stream.concat(
                    IntStream.range(1, entries).mapToObj(i -> "tenant" + i + ": orgs tenant" + i + ".onmicrosoft.com; domains domain" + i
                        + ".example; smarthost mx.domain" + i + ".example"),
                    Stream.of("contoso: orgs contoso.onmicrosoft.com, contoso.com; domains contoso.com; smarthost contoso-com.mail.protection.outlook.com"))
                .collect(Collectors.joining(" | ")));

        // A benchmark of a matcher that decides wrongly measures nothing useful.
        expect(headerNotEquals, 0);
        expect(headerNotContains, 0);
        expect(senderHostnameEndsWith, 1);
        expect(senderInDomainSet, 1);
        expect(senderInDomainList, 1);
        expect(senderNotOwnedByTenant, 0);
    }

    private String list(IntFunction<String> other, String needed) {
        return Stream.concat(IntStream.range(1, entries).mapToObj(other), Stream.of(needed))
            .collect(Collectors.joining(", "));
    }

    /** James's memory DomainList holding {@code entries} domains, ours last. */
    private MemoryDomainList domainList() throws Exception {
        MemoryDomainList domainList = new MemoryDomainList(new NoDnsService());
        domainList.configure(DomainListConfiguration.builder()
            .autoDetect(false)
            .autoDetectIp(false)
            .build());
        for (int i = 1; i < entries; i++) {
            domainList.addDomain(Domain.of("domain" + i + ".example"));
        }
        domainList.addDomain(Domain.of("contoso.com"));
        return domainList;
    }

    @Benchmark
    public Collection<MailAddress> headerNotEquals() {
        return headerNotEquals.match(mail);
    }

    @Benchmark
    public Collection<MailAddress> headerNotContains() {
        return headerNotContains.match(mail);
    }

    @Benchmark
    public Collection<MailAddress> senderHostnameEndsWith() {
        return senderHostnameEndsWith.match(mail);
    }

    @Benchmark
    public Collection<MailAddress> senderInDomainSet() throws MessagingException {
        return senderInDomainSet.match(mail);
    }

    @Benchmark
    public Collection<MailAddress> senderInDomainSetDomainList() throws MessagingException {
        return senderInDomainList.match(mail);
    }

    @Benchmark
    public Collection<MailAddress> senderNotOwnedByTenant() throws MessagingException {
        return senderNotOwnedByTenant.match(mail);
    }
}
