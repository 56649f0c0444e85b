#!/usr/bin/env bash
# Reproduces README "Performance": builds the project, runs the JMH benchmarks of the matchers,
# then the end-to-end load comparison of the hardened and the plain pipeline on a real James 3.8.1.
#
#   ./perf.sh                      both, with the defaults the README numbers come from
#   ./perf.sh benchmarks [jmh options]    only the benchmarks (e.g. -wi 1 -i 2 for a quick look)
#   ./perf.sh load [driver options]       only the load run (--help lists its options)
#   ./perf.sh cluster [driver options]    one node vs two through HAProxy on PostgreSQL (not in "all";
#                                         needs the postgresql and haproxy packages; --help)
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
    java -cp "integration-tests/target/classes:$(cat integration-tests/target/demo-classpath.txt)" \
        -Drelayguard.james.server.dir=james-server/target/james-server \
        org.relayguard.it.load.LoadDriver "$@"
}

cluster() {
    java -cp "integration-tests/target/classes:$(cat integration-tests/target/demo-classpath.txt)" \
        -Drelayguard.james.server.dir=james-server/target/james-server \
        org.relayguard.it.load.ClusterLoadDriver "$@"
}

case "$what" in
    benchmarks) benchmarks "$@" ;;
    load) load "$@" ;;
    cluster) cluster "$@" ;;
    all) benchmarks && load ;;
    *) echo "usage: $0 [benchmarks [jmh options] | load [driver options] | cluster [driver options]]" >&2; exit 2 ;;
esac
