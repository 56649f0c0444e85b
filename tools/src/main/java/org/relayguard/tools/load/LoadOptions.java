package org.relayguard.tools.load;

import java.util.List;
import java.util.Map;

/**
 * The options every load driver reads alike: how many mails in how many rounds after how large a
 * warm-up, over how many SMTP clients sending how many mails each per connection, which mix from
 * which seed, and the pause before each run. Mails, rounds and warm-up are sized to what each
 * driver compares, so it gives their defaults; the others have one default for all.
 */
final class LoadOptions {
    /** Measured mails per setup, over all rounds (and forks). */
    final int mails;
    final int rounds;
    /** Mails sent before measuring (per fork where a driver has forks). */
    final int warmup;
    final int connections;
    final int perConnection;
    final long seed;
    /** Before each run: the previous server's background work done, so that it does not run on the cores of the next one. */
    final long pauseMillis;
    final Mix mix;
    /** Which mails go by BDAT and with SMTPUTF8 ({@code --bdat}, {@code --smtputf8}, in percent). */
    final LoadRun.Extensions extensions;

    private LoadOptions(int mails, int rounds, int warmup, int connections, int perConnection, long seed, long pauseMillis, Mix mix,
                        LoadRun.Extensions extensions) {
        this.mails = mails;
        this.rounds = rounds;
        this.warmup = warmup;
        this.connections = connections;
        this.perConnection = perConnection;
        this.seed = seed;
        this.pauseMillis = pauseMillis;
        this.mix = mix;
        this.extensions = extensions;
    }

    /** The usage of the options that say how mails are sent, for the drivers' {@code --help}. */
    static final String EXTENSIONS_USAGE = "--bdat PERCENT of the mails from Microsoft 365 sent by BDAT where CHUNKING is offered ("
        + LoadRun.Extensions.DEFAULT.bdatPercent + ") --smtputf8 PERCENT of all mails sent with SMTPUTF8 to a U-label domain "
        + "or a UTF-8 local part (" + LoadRun.Extensions.DEFAULT.smtpUtf8Percent + ")";

    /** {@code --mails}, {@code --rounds}, {@code --warmup} (with the driver's defaults) and the common options. */
    static LoadOptions read(Map<String, String> options, int mails, int rounds, int warmup) {
        return new LoadOptions(number(options, "mails", mails), number(options, "rounds", rounds), number(options, "warmup", warmup),
            number(options, "connections", 8), number(options, "mails-per-connection", 100), number(options, "seed", 42),
            number(options, "pause", 5) * 1000L, Mix.parse(options.getOrDefault("mix", Mix.DEFAULT)),
            new LoadRun.Extensions(number(options, "bdat", LoadRun.Extensions.DEFAULT.bdatPercent),
                number(options, "smtputf8", LoadRun.Extensions.DEFAULT.smtpUtf8Percent)));
    }

    /** A number option, or its default. */
    static int number(Map<String, String> options, String name, int defaultValue) {
        return Integer.parseInt(options.getOrDefault(name, String.valueOf(defaultValue)));
    }

    /** The warm-up mails of fork {@code fork} (from 0) of a driver that starts its gateways afresh in each fork: each fork's own. */
    List<LoadRun.Mail> forkWarmup(int fork) {
        return LoadRun.mails("fork" + fork + "-warmup", mix, warmup, seed + 100L * fork, false, extensions);
    }

    /** The mails of round {@code round} of fork {@code fork} of {@code forks}, all gateways getting the same. */
    List<LoadRun.Mail> forkRound(int fork, int round, int forks) {
        return LoadRun.mails("fork" + fork + "-round" + round, mix, mailsOfRun(fork * rounds + round, forks * rounds),
            seed + 100L * fork + 1 + round, false, extensions);
    }

    /** The mails of measured run {@code run} (from 0) of {@code runs}: all of them shared out evenly, the first runs taking one more. */
    int mailsOfRun(int run, int runs) {
        return mails / runs + (run < mails % runs ? 1 : 0);
    }
}
