#!/usr/bin/env bash
# The reliability runs to start before a release (RELIABILITY.md, "Before a release"): the soak,
# chat-server kill, chat-server join, ZooKeeper and mux-cut scenarios, five rounds in a row at the
# size the build runs them, then one round at their long size (30-minute soak, 2,000 clients for
# the kill and join tests, a 60 s ZooKeeper outage). Stops at the first failing round and exits
# non-zero. Each round's Maven log is kept under gateway/target/release-runs/; its summary lines
# (Surefire totals, CHAOS and soak lines) are printed as it ends.
#
#   gateway/reliability/release-runs.sh                 # 5 rounds + the long round (about 75 min)
#   ROUNDS=1 LONG=no gateway/reliability/release-runs.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${ROUNDS:-5}
long=${LONG:-yes}
scenarios='SoakTest,ChatServerKillTest,ChatServerJoinTest,ZooKeeperChaosTest,MuxConnectionCutTest'
long_size=(-Dsoak.duration="${SOAK_LONG:-PT30M}" -Dchaos.couples="${KILL_JOIN_COUPLES:-1000}"
    -Dchaos.zk.outage="${ZK_OUTAGE_LONG:-PT60S}")
logs=gateway/target/release-runs
mkdir -p "$logs"

# One round: the five scenario classes in one Surefire run; extra arguments set their sizes.
round() {
    local name=$1 started=$SECONDS
    shift
    local log="$logs/$name.log"
    if mvn -B -pl gateway -am verify -Dsurefire.failIfNoSpecifiedTests=false \
            -Dtest="$scenarios" "$@" >"$log" 2>&1; then
        echo "== $name passed in $((SECONDS - started)) s"
        grep -E '^(CHAOS |soak )|Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$log" || true
    else
        echo "== $name FAILED after $((SECONDS - started)) s; the log: $log" >&2
        grep -E '^(CHAOS |soak )|Tests run:|FAIL|ERROR\]' "$log" | head -40 >&2 || true
        exit 1
    fi
}

for ((i = 1; i <= rounds; i++)); do
    round "round-$i"
done
if [[ $long == yes ]]; then
    round long "${long_size[@]}"
fi
echo "release runs: $rounds rounds at build size$([[ $long == yes ]] && echo ' and the long round') passed"
