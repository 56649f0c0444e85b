#!/usr/bin/env bash
# The Relay Guard gateway in one command: builds the project, lays out the server root run/ and
# runs the Relay Guard server (Apache James 3.8.1 with durable queues) in the foreground until
# Ctrl-C. --demo also sends it every row of SPEC's decision table and shows where each mail went.
# ./run.sh --help says more.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    cat <<'EOF'
Usage: ./run.sh [--demo] [--proofpoint] [--enforce] [--smtp-port PORT] [--proxy-port PORT]
                [--webadmin-port PORT] [--no-build] [--offline]

Builds Relay Guard (needs JDK 17 and Maven), installs it through extensions-jars/ into the
Relay Guard server (Apache James 3.8.1 whose mail queues and DomainList are kept on disk), and
runs it on 127.0.0.1 until Ctrl-C.

  --demo                 send every row of SPEC's decision table and show where each mail
                         went; James names a client on 127.0.0.2 as a Microsoft 365 host
                         (demo hosts file) and relays to local SMTP sinks (one per route),
                         not to the internet nor to Microsoft 365
  --proofpoint           the one-to-one Proofpoint profile instead of the hardened one
  --enforce              enforce mode: quarantine and do not relay (RELAYGUARD_ENFORCE=true);
                         the default is the mode set in run/conf/mailetcontainer.xml (audit)
  --smtp-port PORT       SMTP listener, default 2525 (RELAYGUARD_SMTP_BIND)
  --proxy-port PORT      SMTP listener behind a PROXY-protocol proxy, default 2526
                         (RELAYGUARD_SMTP_PROXY_BIND)
  --webadmin-port PORT   webadmin, default 8000 (RELAYGUARD_WEBADMIN_PORT)
  --no-build             skip the Maven build, run what was built last
  --offline              build with mvn -o

The server root is run/: conf/ is yours to edit (delete a file there to get the shipped one
back), extensions-jars/ is refreshed from the build on every run, var/ keeps the quarantine,
the mail queues and the domains added through webadmin across runs and crashes (rm -r run/var
empties all three), logs/james.log is James's log, rotated by size and age (conf/logback.xml).
The server is the distribution's bin/relayguard (james-server/target/relayguard-server-*.tar.gz),
run on run/ (RELAYGUARD_ROOT); it refuses root, which run.sh allows (RELAYGUARD_ALLOW_ROOT=true).
RELAYGUARD_* variables already set in the environment are passed to James.
STARTTLS: the listeners present run/conf/tls/fullchain.pem with the key run/conf/tls/privkey.pem
(or RELAYGUARD_TLS_CERT, RELAYGUARD_TLS_KEY); when neither exists, bin/relayguard makes a self-signed one
(docs/tls.md).
List the quarantine: TOKEN=$(RELAYGUARD_ROOT=run james-server/target/james-server/bin/relayguard-token)
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/mailRepositories/var%2Fmail%2Fm365-relaydeny/mails
EOF
}

die() {
    echo "run.sh: $*" >&2
    exit 1
}

port_arg() {
    [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 65535 ] || die "$1 needs a port number (1-65535)"
    echo "$2"
}

demo=false
profile=hardened
build=true
mvn_offline=
while [ $# -gt 0 ]; do
    case $1 in
        --demo) demo=true ;;
        --proofpoint) profile=proofpoint ;;
        --enforce) export RELAYGUARD_ENFORCE=true ;;
        --smtp-port) port=$(port_arg "$1" "${2:-}"); export RELAYGUARD_SMTP_BIND="127.0.0.1:$port"; shift ;;
        --proxy-port) port=$(port_arg "$1" "${2:-}"); export RELAYGUARD_SMTP_PROXY_BIND="127.0.0.1:$port"; shift ;;
        --webadmin-port) port=$(port_arg "$1" "${2:-}"); export RELAYGUARD_WEBADMIN_PORT="$port"; shift ;;
        --no-build) build=false ;;
        --offline) mvn_offline=-o ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
done

SERVER=james-server/target/james-server
ROOT=$PWD/run
mkdir -p "$ROOT"

# JDK 17 and Maven are all a fresh clone needs; Maven brings James 3.8.1 itself.
command -v java >/dev/null || die "java not found: install JDK 17"
java_major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
[ "${java_major:-0}" -ge 17 ] || die "JDK 17 or newer needed; java -version says: $(java -version 2>&1 | head -n 1)"

# --- Settings: flags, else the environment, else the default written in the conf file. ---
# The default of ${env:NAME:-default} in a conf file, an XML entity (&name;) resolved.
conf_default() {
    local file=$1 name=$2 value
    value=$(sed -n "s/.*\${env:$name:-\([^}]*\)}.*/\1/p" "$file" | head -n 1)
    case $value in
        '&'*';') value=$(sed -n "s/.*<!ENTITY ${value:1:${#value}-2} \"\([^\"]*\)\".*/\1/p" "$file" | head -n 1) ;;
    esac
    echo "$value"
}
# run/conf once it exists, the shipped conf before the first run.
conf_file() {
    if [ -f "$ROOT/conf/$1" ]; then echo "$ROOT/conf/$1"; else echo "james-conf/src/main/james/conf/$1"; fi
}
# Exporting the value James would take from the file anyway changes nothing, and tells the demo.
# A file whose default cannot be read is left to James.
setting() {
    local name=$1 file=$2 value
    [ -z "${!name:-}" ] || return 0
    value=$(conf_default "$(conf_file "$file")" "$name")
    [ -z "$value" ] || export "$name=$value"
}
setting RELAYGUARD_SMTP_BIND smtpserver.xml
setting RELAYGUARD_SMTP_PROXY_BIND smtpserver.xml
setting RELAYGUARD_WEBADMIN_PORT webadmin.properties

# Before building or touching run/: a second run.sh must leave a running one alone.
port_free() {
    ! (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
check_port() {
    local port=${2##*:}
    [ -z "$port" ] || port_free "$port" ||
        die "port $port ($1) is in use on 127.0.0.1; is Relay Guard already running? Choose another one with $3 PORT."
}
check_port SMTP "${RELAYGUARD_SMTP_BIND:-}" --smtp-port
check_port "PROXY-protocol SMTP" "${RELAYGUARD_SMTP_PROXY_BIND:-}" --proxy-port
check_port webadmin "${RELAYGUARD_WEBADMIN_PORT:-}" --webadmin-port

# --- Build ---
if $build; then
    command -v mvn >/dev/null || die "mvn not found: install Maven (or run with --no-build)"
    [ -d "$SERVER/lib" ] || echo "First build: Maven downloads James 3.8.1 and its libraries, which takes a few minutes."
    echo "Building (mvn -B -q -DskipTests package, output in run/build.log) ..."
    # package, not install: the reactor hands the jars to the server layout, ~/.m2 stays untouched.
    if ! mvn -B -q $mvn_offline -DskipTests package >"$ROOT/build.log" 2>&1; then
        tail -n 30 "$ROOT/build.log" >&2
        die "the build failed; the whole output is in run/build.log"
    fi
fi
[ -d "$SERVER/lib" ] && [ -x "$SERVER/bin/relayguard" ] && [ -d tools/target/classes ] || die "$SERVER is missing: run without --no-build"
# The extension is installed the way an operator installs it; a copy on James's class path would hide
# mistakes. lib/ holds the server's own jar (relayguard-james-server) and none of the extension's.
for jar in core matchers mailets smtp webadmin; do
    if compgen -G "$SERVER/lib/relayguard-$jar-*" >/dev/null; then
        die "$SERVER/lib holds the Relay Guard extension jar relayguard-$jar: it belongs in extensions-jars/ only"
    fi
done

# --- Server root run/: conf/ laid out once and then the operator's (the profile's mailetcontainer.xml;
# edits kept, named), extensions-jars/ refreshed (RunRoot.java). ---
java -cp tools/target/classes org.relayguard.tools.run.RunRoot "$ROOT" "$SERVER" "$profile"

# --- Root: bin/relayguard refuses it; a trial on a machine where one works as root is allowed. ---
if [ "$(id -u)" -eq 0 ] && [ -z "${RELAYGUARD_ALLOW_ROOT:-}" ]; then
    echo "run.sh runs as root: the trial gateway too (RELAYGUARD_ALLOW_ROOT=true). In service, a user of its own (docs/operator-guide.md)."
    export RELAYGUARD_ALLOW_ROOT=true
fi
# The server root is run/; bin/relayguard of the distribution runs James there. It makes a self-signed
# certificate on a first start when none is configured (docs/tls.md).
export RELAYGUARD_ROOT=$ROOT
# The mode, once run/conf holds the profile's mailetcontainer.xml.
setting RELAYGUARD_ENFORCE mailetcontainer.xml
case $(echo "${RELAYGUARD_ENFORCE:-}" | tr '[:upper:]' '[:lower:]') in
    true) mode=enforce ;;
    false) mode=audit ;;
    '') mode="the conf's" ;;
    *) mode="RELAYGUARD_ENFORCE=$RELAYGUARD_ENFORCE, which James refuses," ;;
esac

# Every SMTP connection holds a file descriptor: James needs one per connection the listeners accept
# (maxConnections in conf/smtpserver.xml) plus about 1024 of its own, and refuses to start otherwise
# (FileDescriptorCheck). A shell's soft limit is often 1024: raise it to the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if $demo; then
    # Demo.java starts James from run/ (adding the demo hosts file and a local next hop), sends the
    # decision table, prints where each mail went, and stops James on Ctrl-C.
    demo_args=(--root "$ROOT")
    [ "$profile" = hardened ] || demo_args+=(--proofpoint)
    exec java -Drelayguard.james.server.dir="$PWD/$SERVER" \
        -cp "tools/target/classes:$(cat tools/target/classpath.txt)" \
        org.relayguard.tools.run.Demo "${demo_args[@]}"
fi

# --- Run the distribution's bin/relayguard on run/ in the background, so that this script can say when
# it is up and stop it on Ctrl-C. James's log is run/logs/james.log, rotated (conf/logback.xml);
# run/console.log holds what came before logback, for this start only. ---
log=$ROOT/logs/james.log
console=$ROOT/console.log
mkdir -p "$ROOT/logs"
touch "$log"
log_start=$(($(wc -c <"$log") + 1))
echo "Starting the Relay Guard server (Apache James 3.8.1, $profile profile, $mode mode), log: run/logs/james.log ..."
# A script's background job ignores SIGINT: Ctrl-C reaches this script only, which stops James with
# SIGTERM (James's shutdown hook runs and closes the queues) and waits for it, so no java process
# is left behind. bin/relayguard execs the JVM: $james is James itself.
RELAYGUARD_LOG_CONSOLE=OFF "$SERVER/bin/relayguard" >"$console" 2>&1 &
james=$!
# A message that cannot be written (the reader of ./run.sh | tee is gone) must not stop this script.
say() {
    echo "$@" 2>/dev/null || true
}
stop_james() {
    trap - INT TERM HUP
    # James first: Ctrl-C on ./run.sh | tee also ends tee, and writing to its closed pipe would kill
    # this script (SIGPIPE) before James is stopped. Ignored, the write fails and the script goes on.
    trap '' PIPE
    kill -TERM "$james" 2>/dev/null || true
    say
    say "Stopping James ..."
    wait "$james" 2>/dev/null || true
    say "James stopped."
    exit 130
}
trap stop_james INT TERM HUP

# The log since this start; a log that rotated meanwhile is read whole.
log_since_start() {
    if [ "$(wc -c <"$log")" -ge "$log_start" ]; then tail -c "+$log_start" "$log"; else cat "$log"; fi
}
until log_since_start | grep -q "JAMES server started"; do
    if ! kill -0 "$james" 2>/dev/null; then
        # James's own reason, without the stack frames around it.
        { cat "$console"; log_since_start; } | grep -v -E '^[[:space:]]+(at |\.\.\. [0-9]+ )' | tail -n 15 >&2
        die "James did not start (above: the end of run/console.log and run/logs/james.log, stack frames left out)"
    fi
    sleep 0.5
done
[ ! -s "$console" ] || cat "$console"

# Where everything is and where mail goes (RunSummary.java: settings as James takes them).
java -cp tools/target/classes org.relayguard.tools.run.RunSummary "$ROOT" "$SERVER" "$profile" "$mode"
status=0
wait "$james" || status=$?
trap - INT TERM HUP
die "James exited by itself (status $status); see run/logs/james.log and run/console.log"
