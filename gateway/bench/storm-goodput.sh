#!/usr/bin/env bash
# Goodput under a TLS handshake storm, with and without limits.max-handshake-rate (issue 17),
# measured from outside the server:
#   - the server (StormServer: the production client pipeline with its accept gate, production
#     defaults, one event loop per available processor) in its own JVM, pinned by taskset to
#     SERVER_CPU;
#   - the clients (StormClients) in another JVM pinned to CLIENT_CPU. Each client is an app: one
#     deadline for connect + TLS handshake (TIMEOUT_MS, 10 s = OkHttp's default connectTimeout),
#     then retries with exponential backoff and full jitter (100 ms doubling to 5 s) until it has a
#     session or the storm ends.
#   - the server's certificate is RSA KEY_BITS (4096): a signature costs the server milliseconds,
#     the client's verification tens of microseconds (X25519 key share, no resumption), so one
#     client core can offer several times what one server core can handshake.
# Sessions per server CPU-second (sessions / the server process's CPU time, warm-up included) is
# the figure that survives a shared machine: on a loaded one the server gets a varying share of
# its core, so sessions a second move with the load, but the share of its work that became
# sessions does not.
# Legs: capacity C (64 clients back to back, no cap); then FACTOR x C new clients a second for
# STORM_SECONDS without a cap; then the same with max-handshake-rate = CAP_FRACTION x C. Each leg
# has a fresh server and a 5 s warm-up that is not counted. Prints one summary line per leg and
# writes them to OUTDIR/summary.txt; exits non-zero if any process fails or a figure is missing.
# Bounded: every process runs under `timeout`; about 3 minutes with the defaults.
#
# Usage: gateway/bench/storm-goodput.sh [OUTDIR]    (default gateway/target/storm-<time>)
# Knobs: SERVER_CPU=0 CLIENT_CPU=1 STORM_SECONDS=30 TIMEOUT_MS=10000 FACTOR=3 CAP_FRACTION=0.9
#        CAPACITY_SECONDS=15 KEY_BITS=4096 BUILD=1 (0: reuse gateway/target and OUTDIR/cp.txt)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$REPO/gateway/target/storm-$(date -u +%Y%m%dT%H%M%SZ)}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
STORM_SECONDS=${STORM_SECONDS:-30}
TIMEOUT_MS=${TIMEOUT_MS:-10000}
FACTOR=${FACTOR:-3}
CAP_FRACTION=${CAP_FRACTION:-0.9}
CAPACITY_SECONDS=${CAPACITY_SECONDS:-15}
KEY_BITS=${KEY_BITS:-4096}
BUILD=${BUILD:-1}
JAVA_OPTS=${JAVA_OPTS:--Xmx1g}

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

cd "$REPO"
if [ "$BUILD" = 1 ] || [ ! -s "$OUT/cp.txt" ]; then
  log "building gateway test classes and its classpath"
  MAVEN_OPTS=${MAVEN_OPTS:--Xmx768m} mvn -q -o -pl gateway -am test-compile dependency:build-classpath \
      -Dmdep.outputFile="$OUT/cp.txt" >"$OUT/build.log" 2>&1 || fail "build (see $OUT/build.log)"
fi
CP=$REPO/gateway/target/test-classes:$REPO/gateway/target/classes:$REPO/protocol/target/classes:$REPO/protocol/target/test-classes:$(cat "$OUT/cp.txt")

if [ ! -s "$OUT/cert.pem" ]; then
  openssl req -x509 -newkey "rsa:$KEY_BITS" -nodes -keyout "$OUT/key.pem" -out "$OUT/cert.pem" -days 2 \
      -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$OUT/openssl.log" 2>&1 \
      || fail "openssl (see $OUT/openssl.log)"
fi

# field NAME LINE: the value of NAME=... in a key=value line; fails the run when it is missing.
field() {
  local v
  v=$(tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1)
  [ -n "$v" ] || fail "no $1 in: $2"
  echo "$v"
}

# run_leg NAME CAP CLIENT_ARGS...: a fresh server, the clients, both lines; sets SERVER_LINE, CLIENT_LINE.
run_leg() {
  local name=$1 cap=$2; shift 2
  log "leg $name: server on cpu $SERVER_CPU (cap $cap), clients on cpu $CLIENT_CPU: $*"
  # A previous run's files in OUTDIR must not be read for this one's (its port above all).
  rm -f "$OUT/$name-server.out" "$OUT/$name-server.err" "$OUT/$name-clients.out" "$OUT/$name-clients.err" \
      "$OUT/$name.server.txt" "$OUT/$name.clients.txt"
  timeout 600 taskset -c "$SERVER_CPU" java $JAVA_OPTS -cp "$CP" io.presenter.gateway.client.StormServer \
      "$OUT/cert.pem" "$OUT/key.pem" "$cap" >"$OUT/$name-server.out" 2>"$OUT/$name-server.err" &
  local spid=$!
  PIDS+=("$spid")
  local port="" i
  for i in $(seq 1 600); do
    port=$(sed -n 's/^listening //p' "$OUT/$name-server.out" 2>/dev/null || true)
    [ -n "$port" ] && break
    kill -0 "$spid" 2>/dev/null || fail "leg $name: the server exited before listening (see $OUT/$name-server.err)"
    sleep 0.1
  done
  [ -n "$port" ] || fail "leg $name: the server did not listen within 60 s"
  timeout $((STORM_SECONDS + CAPACITY_SECONDS + 120)) taskset -c "$CLIENT_CPU" java $JAVA_OPTS -cp "$CP" \
      io.presenter.gateway.client.StormClients "$port" "$@" >"$OUT/$name-clients.out" 2>"$OUT/$name-clients.err" \
      || fail "leg $name: the clients exited $? (see $OUT/$name-clients.err)"
  kill -TERM "$spid"
  wait "$spid" || true  # a JVM ended by SIGTERM exits 143 after its shutdown hook printed the line
  SERVER_LINE=$(grep '^server ' "$OUT/$name-server.out" || true)
  CLIENT_LINE=$(grep -E '^(capacity|storm) ' "$OUT/$name-clients.out" || true)
  [ -n "$SERVER_LINE" ] || fail "leg $name: no server line (see $OUT/$name-server.out)"
  [ -n "$CLIENT_LINE" ] || fail "leg $name: no client line (see $OUT/$name-clients.out)"
  echo "$SERVER_LINE" >"$OUT/$name.server.txt"
  echo "$CLIENT_LINE" >"$OUT/$name.clients.txt"
}

: >"$OUT/summary.txt"
say() { echo "$*" | tee -a "$OUT/summary.txt"; }
say "storm-goodput $(date -u +%FT%TZ) load average before: $(cut -d' ' -f1-3 /proc/loadavg); server cpu $SERVER_CPU, clients cpu $CLIENT_CPU, RSA $KEY_BITS, client deadline ${TIMEOUT_MS} ms"

run_leg capacity 0 capacity "$CAPACITY_SECONDS" 64
C=$(field handshakes_per_s "$CLIENT_LINE")
[ "$(field full "$SERVER_LINE")" -gt 0 ] || fail "capacity leg: the server handshook nobody"
[ "$C" -gt 0 ] || fail "capacity measured as 0"
per_cpu() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
say "leg=capacity C=${C}/s (64 clients back to back, ${CAPACITY_SECONDS} s)" \
    "handshakes_per_server_cpu_s=$(per_cpu "$(field full "$SERVER_LINE")" "$(field cpu_s "$SERVER_LINE")")" \
    "server_cpu=$(field cpu_s "$SERVER_LINE")s of $(field wall_s "$SERVER_LINE")s client_cpu=$(field client_cpu "$CLIENT_LINE")"

OFFERED=$((FACTOR * C))
CAP=$(awk -v c="$C" -v f="$CAP_FRACTION" 'BEGIN { printf "%d", c * f + 0.5 }')
for leg in no-cap cap; do
  cap=0; [ "$leg" = cap ] && cap=$CAP
  run_leg "$leg" "$cap" storm "$OFFERED" "$STORM_SECONDS" "$TIMEOUT_MS"
  completed=$(field completed_per_s "$CLIENT_LINE")
  flights=$(field flights "$SERVER_LINE")
  [ "$flights" -gt 0 ] || fail "leg $leg: the server handshook nobody (see $OUT/$leg-clients.err)"
  sessions=$(field all_sessions "$CLIENT_LINE")
  # Completed sessions a second over the storm's second half: past the clients' deadline, where a
  # queue that outgrew it has turned every handshake into waste.
  late=$(field per_second "$CLIENT_LINE" | tr -d '[]' | awk -F, '{ h = int(NF / 2); for (i = h + 1; i <= NF; i++) t += $i; printf "%.0f", t / (NF - h) }')
  say "leg=$leg cap=$cap offered=${OFFERED}/s completed=${completed}/s ($(awk -v a="$completed" -v c="$C" 'BEGIN { printf "%.0f", 100 * a / c }')% of C)" \
      "second_half=${late}/s ($(awk -v a="$late" -v c="$C" 'BEGIN { printf "%.0f", 100 * a / c }')% of C)" \
      "timeouts=$(field timeouts "$CLIENT_LINE") refused=$(field refused "$CLIENT_LINE")" \
      "other_failures=$(field other_failures "$CLIENT_LINE") not_sent=$(field not_sent "$CLIENT_LINE")" \
      "without_session=$(field clients_without_session "$CLIENT_LINE")" \
      "wasted_handshakes=$((flights - sessions)) (server signatures $flights, sessions $sessions)" \
      "refused_at_accept=$(field refused_at_accept "$SERVER_LINE") server_timeouts=$(field failed_timeout "$SERVER_LINE")" \
      "sessions_per_server_cpu_s=$(per_cpu "$sessions" "$(field cpu_s "$SERVER_LINE")")" \
      "p50=$(field handshake_p50_ms "$CLIENT_LINE")ms p99=$(field handshake_p99_ms "$CLIENT_LINE")ms" \
      "client_cpu=$(field client_cpu "$CLIENT_LINE") per_second=$(field per_second "$CLIENT_LINE")"
done
log "done: $OUT/summary.txt"
