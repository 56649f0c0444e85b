package org.relayguard.benchmarks;

import java.util.Collection;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.transport.matchers.HasHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The baseline: James's built-in {@code HasHeader} on the same mail.
 */
public class HasHeaderBenchmark extends MatcherBenchmark {
    private HasHeader nameAndValue;
    private HasHeader nameOnly;

    @Setup
    public void setUp() throws MessagingException {
        nameAndValue = Matchers.init(new HasHeader(), "HasHeader", "X-OriginatorOrg=contoso.com");
        nameOnly = Matchers.init(new HasHeader(), "HasHeader", "X-OriginatorOrg");
        expect(nameAndValue, 1);
        expect(nameOnly, 1);
    }

    /**
     * {@code HasHeader=X-OriginatorOrg=contoso.com}: the closest built-in to {@code HeaderNotEquals}
     * (find the header, unfold and decode each instance, compare).
     */
    @Benchmark
    public Collection<MailAddress> hasHeaderNameAndValue() throws MessagingException {
        return nameAndValue.match(mail);
    }

    /** {@code HasHeader=X-OriginatorOrg}: only finds the header. */
    @Benchmark
    public Collection<MailAddress> hasHeaderName() throws MessagingException {
        return nameOnly.match(mail);
    }
}
