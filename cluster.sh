#!/usr/bin/env bash
# A Relay Guard cluster in one command: PostgreSQL, two Relay Guard nodes and HAProxy on 127.0.0.1,
# laid out under run-cluster/, until Ctrl-C. ./cluster.sh --help says more; docs/cluster.md explains.
set -euo pipefail
cd "$(dirname "$0")"

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

build=true
mvn_offline=
args=()
for arg in "$@"; do
    case $arg in
        --no-build) build=false ;;
        --offline) mvn_offline=-o ;;
        -h|--help)
            sed -n '/^    static final String USAGE/,/);$/p' tools/src/main/java/org/relayguard/tools/cluster/ClusterMain.java |
                sed -e '1d' -e 's/^ *"//' -e 's/",*$//' -e 's/");$//' -e 's/\\"/"/g'
            exit 0 ;;
        *) args+=("$arg") ;;
    esac
done

command -v java >/dev/null || die "java not found: install JDK 17"
# The real servers, from Debian's packages (.ci/run installs them as well).
pg_bin=${RELAYGUARD_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -n "$pg_bin" ] && [ -x "$pg_bin/pg_ctl" ] ||
    die "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: apt-get update && apt-get install -y postgresql haproxy"
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] ||
    die "haproxy not found: apt-get update && apt-get install -y postgresql haproxy"

mkdir -p run-cluster
if $build; then
    command -v mvn >/dev/null || die "mvn not found: install Maven (or run with --no-build)"
    echo "Building (mvn -B -q -DskipTests package, output in run-cluster/build.log) ..."
    if ! mvn -B -q $mvn_offline -DskipTests package >run-cluster/build.log 2>&1; then
        tail -n 30 run-cluster/build.log >&2
        die "the build failed; the whole output is in run-cluster/build.log"
    fi
fi
[ -f tools/target/classpath.txt ] || die "nothing built yet: run without --no-build"

# exec: Ctrl-C reaches the JVM, whose shutdown hook stops HAProxy, the nodes, then PostgreSQL, and
# waits for them; output to a closed pipe (./cluster.sh | tee, tee gone) does not stop it.
exec java -Drelayguard.james.server.dir="$PWD/james-server/target/james-server" \
    -cp "tools/target/classes:$(cat tools/target/classpath.txt)" \
    org.relayguard.tools.cluster.ClusterMain "${args[@]+"${args[@]}"}"
