#!/usr/bin/env bash
# Runs all tests: README's "Run all tests" command, and the command .ci/run ends with.
# Besides JDK 17 and Maven the end-to-end tests need Debian packages and root; this script checks
# them first, installs what is missing when it runs as root, and otherwise says exactly what is
# missing and stops before Maven (the tests fail, they do not skip, without them).
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    cat <<'EOF'
Usage: ./test.sh [--check] [Maven arguments...]

Checks what the tests need (JDK 17, Maven, root, Debian packages), installs missing packages with
apt-get when run as root, then runs `mvn -B verify` with the given arguments
(e.g. ./test.sh -Dtest=CorpusTest -Dsurefire.failIfNoSpecifiedTests=false).
  --check   only check and report what is missing; install nothing, run no Maven
  --help    this text
EOF
}

check_only=false
case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    --check) check_only=true; shift ;;
esac

# A command, also where Debian keeps administrators' commands (not on a normal user's PATH).
has() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null; }

# The Debian package behind each thing a test runs, and which test needs it.
missing_packages() {
    missing=()
    # ClusterTest, ClusterDatabaseOutageTest: a real PostgreSQL (initdb, pg_ctl) behind a real HAProxy.
    ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
    has haproxy || missing+=(haproxy)
    # PostfixRelayTest: the Postfix relay ./perf.sh peer measures against (configured by the test).
    [ -x /usr/sbin/postfix ] || missing+=(postfix)
    [ -e /usr/lib/postfix/postfix-pcre.so ] || missing+=(postfix-pcre)
    # QuarantineReviewPageTest: Debian's Chromium through Debian's chromedriver (Selenium downloads nothing).
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
    # SystemdUnitTest: systemd-analyze verify on the shipped unit.
    has systemd-analyze || missing+=(systemd)
    # DistributionTest: the server as its own user (useradd) through setpriv, its port-25 listener seen with ss.
    { has setpriv && has runuser && has unshare; } || missing+=(util-linux)
    has useradd || missing+=(passwd)
    has ss || missing+=(iproute2)
    # StockJamesInstallTest: the bundle's bin/relayguard-self-signed-cert.
    has openssl || missing+=(openssl)
}

problems=0
if ! has java || ! java -version 2>&1 | sed -n 1p | grep -qE '"(1[7-9]|[2-9][0-9])[."]'; then
    echo "test.sh: JDK 17 or newer is needed (java on PATH: $(java -version 2>&1 | sed -n 1p || echo none))" >&2
    problems=1
fi
if ! has mvn; then
    echo "test.sh: Maven (mvn) is needed on PATH" >&2
    problems=1
fi

missing_packages
if [ "$(id -u)" -eq 0 ] && [ "${#missing[@]}" -gt 0 ] && ! $check_only; then
    if ! has apt-get; then
        echo "test.sh: missing Debian packages ${missing[*]}, and no apt-get to install them" >&2
        exit 1
    fi
    echo "test.sh: installing ${missing[*]}"
    # Postfix is installed as a program the test configures, not as this machine's mail server.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    missing_packages
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "test.sh: the tests need these Debian packages, missing here: ${missing[*]}" >&2
    echo "  install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    echo "  (or run ./test.sh as root, which does that)" >&2
    problems=1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: the tests need root: DistributionTest adds a system user and runs the server as it" >&2
    echo "  through setpriv with CAP_NET_BIND_SERVICE on port 25. Run ./test.sh as root (one test:" >&2
    echo "  mvn -B verify -Dtest=NAME -Dsurefire.failIfNoSpecifiedTests=false, as any user)." >&2
    problems=1
fi
if $check_only; then
    [ "$problems" -eq 0 ] && echo "test.sh: everything the tests need is here"
    exit "$problems"
fi
[ "$problems" -eq 0 ] || exit 1

# What the tests will run against, for the log. sed reads to the end (head would break the pipe).
/usr/sbin/postconf -d mail_version
ls -d /usr/lib/postgresql/*/bin | tail -n 1
PATH="$PATH:/usr/sbin:/sbin" haproxy -v | sed -n 1p
chromium --version | sed -n 1p
exec mvn -B verify "$@"
