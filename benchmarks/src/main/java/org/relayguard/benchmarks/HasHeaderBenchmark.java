package org.relayguard.benchmarks;

import java.util.Collection;
import java.util.concurrent.TimeUnit;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.transport.matchers.HasHeader;
import org.apache.mailet.Mail;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The baseline: James's built-in {@code HasHeader} on the same mail. {@code HasHeader=X-OriginatorOrg=contoso.com}
 * is the closest built-in to {@code HeaderNotEquals} (find the header, unfold and decode each
 * instance, compare); {@code HasHeader=X-OriginatorOrg} only finds it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class HasHeaderBenchmark {
    private Mail mail;
    private HasHeader nameAndValue;
    private HasHeader nameOnly;

    @Setup
    public void setUp() {
        mail = M365Mail.ourTenant();
        nameAndValue = Matchers.init(new HasHeader(), "HasHeader", "X-OriginatorOrg=contoso.com");
        nameOnly = Matchers.init(new HasHeader(), "HasHeader", "X-OriginatorOrg");
        if (matchCount(nameAndValue) != 1 || matchCount(nameOnly) != 1) {
            throw new IllegalStateException("HasHeader does not see X-OriginatorOrg: contoso.com in the benchmark mail");
        }
    }

    private int matchCount(HasHeader matcher) {
        try {
            Collection<MailAddress> matched = matcher.match(mail);
            return matched == null ? 0 : matched.size();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Benchmark
    public Collection<MailAddress> hasHeaderNameAndValue() throws MessagingException {
        return nameAndValue.match(mail);
    }

    @Benchmark
    public Collection<MailAddress> hasHeaderName() throws MessagingException {
        return nameOnly.match(mail);
    }
}
