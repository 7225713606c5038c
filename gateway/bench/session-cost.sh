#!/usr/bin/env bash
# What one new client session costs a warmed presenter, in measures that do not depend on how
# loaded the machine is: heap bytes allocated per session by the event-loop threads (JFR
# jdk.ThreadAllocationStatistics), syscalls per session (strace -c, optional), and, as a noisy
# extra, CPU per session (from /proc, by thread kind). A session = TCP connect + full TLS 1.3
# handshake + auth packet + stream open + the chat server's answer + close (the harness's
# `connect --hold PT0S`). Also writes a JFR recording of the measured wave (execution and
# allocation samples) and prints its top frames.
#
#   gateway/bench/session-cost.sh [sessions] [outdir]
#
# SESSIONS (arg 1, default 5000) are measured after WARMUP (default 20000) sessions of churn, at
# RATE per second (default 500). STRACE=1 also counts the presenter's syscalls over the measured
# wave (strace slows the presenter down: CPU figures of that run are then meaningless). A second
# wave of as many sessions is recorded with JFR's profile settings (PROFILE=0: not).
# PERF=1 samples the presenter's CPU with perf over the measured wave (native, kernel and JIT'ed code
# alike: BoringSSL's share shows by library). PRESENTER_JAVA_OPTS adds JVM options; PRESENTER_SETS adds presenter --set options
# (e.g. PRESENTER_SETS="--set listen.transport=io_uring"). PRESENTER_JAR, CHAT_JAR, LOADTEST_JAR
# choose the jars (default: this checkout's target/ jars). Binds only free ephemeral ports.
#
# Needs the jars: mvn -B -q -DskipTests package.
set -euo pipefail
cd "$(dirname "$0")/../.."
SESSIONS=${1:-5000}
OUT=${2:-$(mktemp -d)}
WARMUP=${WARMUP:-20000}
RATE=${RATE:-500}
PRESENTER_JAR=${PRESENTER_JAR:-gateway/target/presenter.jar}
CHAT_JAR=${CHAT_JAR:-chat-server-stub/target/chat-server.jar}
LOADTEST_JAR=${LOADTEST_JAR:-loadtest/target/loadtest.jar}
mkdir -p "$OUT"
WORK=$(mktemp -d)
PIDS=()
cleanup() {  # no drain: a presenter or stub told to stop drains for a while, and nothing is left to drain
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"
}
trap cleanup EXIT
free_port() {  # a port the kernel just handed out and took back: free now, not reserved (good enough here)
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
ZK_PORT=$(free_port); MUX_PORT=$(free_port); DIRECT_PORT=$(free_port); CLIENT_PORT=$(free_port); ADMIN_PORT=$(free_port)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -days 2 -subj /CN=localhost 2>/dev/null
echo "k1 = $(head -c 32 /dev/urandom | base64)" > "$WORK/tokens.keys"

java -cp "$PRESENTER_JAR" io.presenter.ring.EmbeddedZooKeeper "$ZK_PORT" "$WORK/zk" > "$OUT/zk.log" 2>&1 &
PIDS+=($!)
java -jar "$CHAT_JAR" --id chat-1 --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  --token-keys "$WORK/tokens.keys" --zookeeper "127.0.0.1:$ZK_PORT" --direct-port "$DIRECT_PORT" \
  --mux-port "$MUX_PORT" > "$OUT/chat.log" 2>&1 &
PIDS+=($!)
# shellcheck disable=SC2086
java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:-UseDynamicNumberOfCompilerThreads ${PRESENTER_JAVA_OPTS:-} \
  -jar "$PRESENTER_JAR" run \
  --set listen.address=127.0.0.1 --set listen.port="$CLIENT_PORT" --set admin.port="$ADMIN_PORT" \
  --set listen.event-loops=2 --set tls.certificates="$WORK/cert.pem:$WORK/key.pem" \
  --set auth.token-key-file="$WORK/tokens.keys" --set zookeeper.connect="127.0.0.1:$ZK_PORT" \
  --set limits.max-connections-per-ip=0 --set limits.max-handshake-rate=0 ${PRESENTER_SETS:-} \
  > "$OUT/presenter.log" 2>&1 &
PRESENTER=$!
PIDS+=($PRESENTER)
for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null || { tail -n 30 "$OUT"/*.log; exit 1; }

churn() {  # sessions rate out
  java -jar "$LOADTEST_JAR" connect --quiet --target "127.0.0.1:$CLIENT_PORT" --token-keys "$WORK/tokens.keys" \
    --connections "$1" --connect-rate "$2" --hold PT0S --resumption OFF --connect-timeout PT60S \
    --out "$3" > "$3.out" 2>&1
}
active_clients() {
  curl -fs "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^presenter_connections_active / {print int($2)}'
}
thread_cpu() {  # "loops jit gc" clock ticks so far, by thread kind
  for task in /proc/"$PRESENTER"/task/*; do
    local stat comm rest
    stat=$(cat "$task/stat" 2>/dev/null) || continue
    comm=${stat#*(}; comm=${comm%)*}; rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest
    echo "${comm// /_} $((${12} + ${13}))"
  done | awk '$1 ~ /^multiThreadIoEv/ {l += $2} $1 ~ /Compiler/ {j += $2} $1 ~ /^(GC_Thread|G1_)/ {g += $2}
              END {print l + 0, j + 0, g + 0}'
}

for ((left = WARMUP; left > 0; left -= 10000)); do
  # A warm-up run with some failures (timeouts on a loaded machine) still warms: say so, go on.
  churn $((left < 10000 ? left : 10000)) $((RATE * 2)) "$OUT/warmup.json" \
    || echo "warm-up run had failures: $(tail -n 3 "$OUT/warmup.json.out")"
done
for _ in $(seq 1 40); do  # JIT quiet for 3 s (bounded)
  before=$(jstat -compiler "$PRESENTER" | awk 'NR == 2 {print $1}')
  sleep 3
  [[ "$(jstat -compiler "$PRESENTER" | awk 'NR == 2 {print $1}')" == "$before" ]] && break
done

# Wave 1, the figures: only the per-thread allocation counters are recorded (no sampling, whose own
# allocations would count), plus CPU from /proc and, with STRACE=1, the syscalls.
cat > "$WORK/alloc.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ThreadAllocationStatistics"><setting name="enabled">true</setting><setting name="period">everyChunk</setting></event>
</configuration>
JFC
jcmd "$PRESENTER" JFR.start name=alloc settings="$WORK/alloc.jfc" filename="$OUT/alloc.jfr" > /dev/null
if [[ "${STRACE:-0}" == 1 ]]; then
  strace -c -f -p "$PRESENTER" -o "$OUT/strace.txt" &
  STRACE_PID=$!
  sleep 2
fi
if [[ "${PERF:-0}" == 1 ]]; then
  perf record -q -e cpu-clock -F 999 -g -p "$PRESENTER" -o "$OUT/perf.data" > /dev/null 2>&1 &
  PERF_PID=$!
fi
read -r USER0 SYS0 < <(awk '{print $14, $15}' "/proc/$PRESENTER/stat")
read -r LOOPS0 JIT0 GC0 < <(thread_cpu)
churn "$SESSIONS" "$RATE" "$OUT/measured.json"
for _ in $(seq 1 120); do
  [[ "$(active_clients)" == 0 ]] && break
  sleep 0.5
done
read -r USER1 SYS1 < <(awk '{print $14, $15}' "/proc/$PRESENTER/stat")
read -r LOOPS1 JIT1 GC1 < <(thread_cpu)
if [[ "${STRACE:-0}" == 1 ]]; then
  kill -INT "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true
fi
jcmd "$PRESENTER" JFR.stop name=alloc > /dev/null
if [[ "${PERF:-0}" == 1 ]]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true
fi
OK=$(python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["waves"][0]; print("%d of %d" % (w["succeeded"], w["attempted"]))' "$OUT/measured.json")

# Wave 2, the profile: execution and allocation samples of as many sessions again.
if [[ "${PROFILE:-1}" == 1 ]]; then
  jcmd "$PRESENTER" JFR.start name=profile settings=profile filename="$OUT/session.jfr" > /dev/null
  churn "$SESSIONS" "$RATE" "$OUT/profiled.json" || echo "profiled wave had failures"
  jcmd "$PRESENTER" JFR.stop name=profile > /dev/null
fi

TICK=$(getconf CLK_TCK)
{
echo "sessions: $SESSIONS at $RATE/s after $WARMUP of warm-up (harness: $OK succeeded)"
awk -v n="$SESSIONS" -v u0="$USER0" -v u1="$USER1" -v s0="$SYS0" -v s1="$SYS1" -v tick="$TICK" \
    -v l0="$LOOPS0" -v l1="$LOOPS1" -v j0="$JIT0" -v j1="$JIT1" -v g0="$GC0" -v g1="$GC1" 'BEGIN {
  us = tick * n / 1e6
  printf "CPU per session (noisy):   %.0f us = user %.0f + kernel %.0f; event loops %.0f, JIT %.0f, GC %.0f\n", \
    (u1-u0+s1-s0)/us, (u1-u0)/us, (s1-s0)/us, (l1-l0)/us, (j1-j0)/us, (g1-g0)/us
}'
# Bytes allocated per session by the event-loop threads: first and last ThreadAllocationStatistics.
jfr print --json --events jdk.ThreadAllocationStatistics "$OUT/alloc.jfr" | python3 -c '
import json, sys
n = int(sys.argv[1])
events = json.load(sys.stdin)["recording"]["events"]
first, last = {}, {}
for e in events:
    v = e["values"]; name = (v.get("thread") or {}).get("javaName") or ""
    if not name.startswith("multiThreadIoEventLoopGroup"):
        continue
    first.setdefault(name, v["allocated"]); last[name] = v["allocated"]
total = sum(last[t] - first[t] for t in last)
print("heap allocated per session by the event loops: %.0f B (%d threads)" % (total / n, len(last)))
' "$SESSIONS"
if [[ -f "$OUT/strace.txt" ]]; then
  echo "syscalls per session (strace -c -f over the measured wave):"
  awk -v n="$SESSIONS" '$1 ~ /^[0-9.]+$/ && NF >= 5 {name = $NF; calls = $4; printf "  %-20s %.2f\n", name, calls / n}' \
    "$OUT/strace.txt" | sort -k2 -nr | head -20
  awk -v n="$SESSIONS" '/total/ {printf "  %-20s %.2f\n", "total", $3 / n}' "$OUT/strace.txt"
fi
if [[ -f "$OUT/perf.data" ]]; then
  echo "CPU samples by thread kind and library (perf, whole measured wave, % of the presenter's samples):"
  perf report -i "$OUT/perf.data" --no-children --sort comm,dso --stdio 2>/dev/null \
    | awk '/^ +[0-9.]+%/ {print "  " $0}' | head -25
fi
} | tee "$OUT/summary.txt"
echo "recording: $OUT/session.jfr; top frames: gateway/bench/jfr-top.sh $OUT/session.jfr"
