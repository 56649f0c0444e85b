#!/usr/bin/env bash
# Reproduces docs/performance.md: builds the project, runs the JMH benchmarks of the matchers,
# then the end-to-end load comparison of the hardened and the plain pipeline on a real James 3.8.1.
#
#   ./perf.sh                      both, with the defaults the numbers of docs/performance.md come from
#   ./perf.sh benchmarks [jmh options]    only the benchmarks (e.g. -wi 1 -i 2 for a quick look)
#   ./perf.sh load [driver options]       only the load run (--help lists its options)
#   ./perf.sh queue [jmh options]         the mail queue alone: Artemis (this release) against ActiveMQ
#                                         Classic (the previous ones), enqueue + dequeue + ack (not in "all")
#   ./perf.sh cluster [driver options]    one node vs two through HAProxy on PostgreSQL (not in "all";
#                                         needs the postgresql and haproxy packages; --help);
#                                         --ha: two nodes with their queues in PostgreSQL against two with local queues
#   ./perf.sh idle [driver options]       the normal load with and without 1,000 idle connections, as a
#                                         ratio (not in "all"; --help; docs/operator-guide.md "Limits");
#                                         --stalled-dns (root): their reverse lookups stall, and more
#                                         connections from them over the per-address limit get 421
#   ./perf.sh peer [driver options]       the durable gateway side by side with a Postfix relay (not in
#                                         "all"; as root: installs Debian's postfix and postfix-pcre when
#                                         missing, runs its own Postfix in a fresh directory under /tmp,
#                                         not the system's, tuned to reuse TLS connections unless
#                                         --postfix as-shipped; --help; docs/postfix-comparison.md).
#                                         --profile DIR records the gateway with JFR during the measured
#                                         rounds and prints where its CPU went (docs/performance.md).
#                                         Internet mail by MX records unless --internet-route gateway:
#                                         no outbound gateway, each relay its own local name server
#                                         (127.53.53.51/.52) and its own two MX hosts on port 25
#                                         (127.25.1.1-2 the gateway's, 127.25.2.1-2 Postfix's)
#   ./perf.sh jfr FILE.jfr [TOP]          that summary of any JFR recording (not in "all")
#
# The mixes of load and peer send 30 % of the Microsoft 365 mails by BDAT (where CHUNKING is
# offered) and 5 % of all mails with SMTPUTF8; --bdat PERCENT and --smtputf8 PERCENT change that.
#
# Neither is part of `mvn -B verify`. Needs JDK 17 and Maven; give the machine to it while it runs.
set -euo pipefail
cd "$(dirname "$0")"

what="${1:-all}"
if [[ $# -gt 0 ]]; then shift; fi

mvn -B -q -DskipTests package

benchmarks() {
    java -jar benchmarks/target/benchmarks.jar "$@"
}

load() {
    java -cp "tools/target/classes:$(cat tools/target/classpath.txt)" \
        -Drelayguard.james.server.dir=james-server/target/james-server \
        org.relayguard.tools.load.LoadDriver "$@"
}

queue() {
    java -cp "james-server/target/test-classes:james-server/target/classes:$(cat james-server/target/test-classpath.txt)" \
        org.openjdk.jmh.Main MailQueueBenchmark "$@"
}

cluster() {
    java -cp "tools/target/classes:$(cat tools/target/classpath.txt)" \
        -Drelayguard.james.server.dir=james-server/target/james-server \
        org.relayguard.tools.load.ClusterLoadDriver "$@"
}

idle() {
    # Each gateway holds up to --idle connections: the process's file limit must allow them.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    java -cp "tools/target/classes:$(cat tools/target/classpath.txt)" \
        -Drelayguard.james.server.dir=james-server/target/james-server \
        org.relayguard.tools.load.IdleConnectionsLoadDriver "$@"
}

# Debian's Postfix, without configuring or needing the system's mail service: the comparison
# writes its own configuration and queue and starts and stops that Postfix itself.
install_postfix() {
    if [[ -x /usr/sbin/postfix && -e /usr/lib/postfix/postfix-pcre.so ]]; then
        return
    fi
    [[ $(id -u) -eq 0 ]] || { echo "perf.sh peer: Postfix is missing and installing it needs root" >&2; exit 2; }
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix postfix-pcre
}

peer() {
    [[ $(id -u) -eq 0 ]] || { echo "perf.sh peer: run as root (postfix start needs it)" >&2; exit 2; }
    install_postfix
    java -cp "tools/target/classes:$(cat tools/target/classpath.txt)" \
        -Drelayguard.james.server.dir=james-server/target/james-server \
        org.relayguard.tools.load.PeerComparison "$@"
}

jfr() {
    java -cp "tools/target/classes:$(cat tools/target/classpath.txt)" org.relayguard.tools.load.JfrSummary "$@"
}

case "$what" in
    benchmarks) benchmarks "$@" ;;
    load) load "$@" ;;
    queue) queue "$@" ;;
    cluster) cluster "$@" ;;
    idle) idle "$@" ;;
    peer) peer "$@" ;;
    jfr) jfr "$@" ;;
    all) benchmarks && load ;;
    *) echo "usage: $0 [benchmarks [jmh options] | load [driver options] | queue [jmh options] | cluster [driver options] | idle [driver options] | peer [driver options] | jfr FILE.jfr [TOP]]" >&2; exit 2 ;;
esac
