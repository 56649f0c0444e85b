package org.relayguard.tools.load;

import java.util.ArrayList;
import java.util.List;

/** What the measured runs of one setup of a load driver add up to: mails, time, and each mail's SMTP latency. */
class Measured {
    int mails;
    long smtpNanos;
    long endToEndNanos;
    final List<long[]> latencies = new ArrayList<>();

    void add(LoadRun.Result result) {
        mails += result.mails;
        smtpNanos += result.smtpNanos;
        endToEndNanos += result.endToEndNanos;
        latencies.add(result.latencies);
    }

    double endToEndRate() {
        return LoadDriver.rate(mails, endToEndNanos);
    }

    double smtpRate() {
        return LoadDriver.rate(mails, smtpNanos);
    }

    double percentile(double p) {
        return LoadDriver.percentile(latencies, p);
    }
}
