package org.relayguard.benchmarks;

import java.util.Collection;
import java.util.concurrent.TimeUnit;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.Matcher;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the matcher benchmarks share: one set of measurement settings, so that the Relay Guard
 * matchers and their baseline ({@link HasHeaderBenchmark}) are measured alike, and the mail they
 * run on ({@link M365Mail#ourTenant}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public abstract class MatcherBenchmark {
    protected final Mail mail = M365Mail.ourTenant();

    /** Fails the set-up unless the matcher matches this many recipients: a benchmark of a matcher that decides wrongly measures nothing useful. */
    protected void expect(Matcher matcher, int recipients) throws MessagingException {
        Collection<MailAddress> matched = matcher.match(mail);
        int actual = matched == null ? 0 : matched.size();
        if (actual != recipients) {
            throw new IllegalStateException(matcher.getMatcherInfo() + " matched " + actual + " recipients, expected " + recipients);
        }
    }
}
