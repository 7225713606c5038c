#!/usr/bin/env bash
# What one new client session costs a warmed presenter (or HAProxy), in measures that do not depend on how
# loaded the machine is: heap bytes allocated per session by the event-loop threads (JFR
# jdk.ThreadAllocationStatistics), syscalls per session (strace -c, optional), and, as a noisy
# extra, CPU per session (from /proc, by thread kind). A session = TCP connect + full TLS 1.3
# handshake + auth packet + stream open + the chat server's answer + close (the harness's
# `connect --hold PT0S`). Optionally profiles a second wave with async-profiler.
#
#   gateway/bench/session-cost.sh [sessions] [outdir]
#
# SESSIONS (arg 1, default 5000) are measured after WARMUP (default 20000) sessions of churn, at
# RATE per second (default 500); each warm-up run of up to 10,000 prints its CPU per session, so
# the JIT's share can be seen to settle. STRACE=1 also counts the presenter's syscalls over the
# measured wave (strace slows the presenter down: CPU figures of that run are then meaningless).
# PROFILE=1 profiles a second wave of as many sessions with async-profiler (fetched from Maven
# Central into gateway/target/bench; CPU samples of native, kernel and JIT'ed code alike) and
# prints the event loops' samples by library and their top frames (gateway/bench/stacks-top.sh).
# PERF=1 samples the presenter's CPU with perf over the measured wave (by thread and library).
# The JFR recording runs from the presenter's start: starting one later retransforms JDK classes
# and throws away compiled code, so the next wave would measure the JIT compiling again (it did:
# 34 -> 1,256 us of JIT per session). PRESENTER_JAVA_OPTS adds JVM options; PRESENTER_SETS adds
# presenter --set options (e.g. PRESENTER_SETS="--set listen.transport=io_uring"). PRESENTER_JAR,
# CHAT_JAR, LOADTEST_JAR choose the jars (default: this checkout's target/ jars). Binds only free
# ephemeral ports.
#
# EDGE=haproxy measures HAProxy instead, set up as its users run it (terminating TLS in front of the
# chat server's plaintext door, 2 threads, the same certificate), under the same churn: CPU per
# session (all its threads count as event loops), STRACE and PERF alike; no allocation figure.
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
PLAIN_PORT=$(free_port)
EDGE=${EDGE:-presenter}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -days 2 -subj /CN=localhost 2>/dev/null
echo "k1 = $(head -c 32 /dev/urandom | base64)" > "$WORK/tokens.keys"

# Allocation counters every second from the start (see above), read around the measured wave.
cat > "$WORK/alloc.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ThreadAllocationStatistics"><setting name="enabled">true</setting><setting name="period">1 s</setting></event>
</configuration>
JFC

java -cp "$PRESENTER_JAR" io.presenter.ring.EmbeddedZooKeeper "$ZK_PORT" "$WORK/zk" > "$OUT/zk.log" 2>&1 &
PIDS+=($!)
java -jar "$CHAT_JAR" --id chat-1 --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  --token-keys "$WORK/tokens.keys" --zookeeper "127.0.0.1:$ZK_PORT" --direct-port "$DIRECT_PORT" \
  --mux-port "$MUX_PORT" --plaintext-port "$PLAIN_PORT" > "$OUT/chat.log" 2>&1 &
PIDS+=($!)
if [[ "$EDGE" == haproxy ]]; then
  cat "$WORK/cert.pem" "$WORK/key.pem" > "$WORK/haproxy.pem"
  loadtest/bench/haproxy-cfg.sh "$CLIENT_PORT" "$PLAIN_PORT" "ssl crt $WORK/haproxy.pem" > "$WORK/haproxy.cfg"
  for _ in $(seq 1 240); do  # the stub's door first: HAProxy does not wait for its backend
    (exec 3<>"/dev/tcp/127.0.0.1/$PLAIN_PORT") 2>/dev/null && break
    sleep 0.5
  done
  haproxy -f "$WORK/haproxy.cfg" -db > "$OUT/haproxy.log" 2>&1 &
  EDGE_PID=$!
  PIDS+=($EDGE_PID)
else
# shellcheck disable=SC2086
java -Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:-UseDynamicNumberOfCompilerThreads \
  -XX:StartFlightRecording=name=alloc,settings="$WORK/alloc.jfc" ${PRESENTER_JAVA_OPTS:-} \
  -jar "$PRESENTER_JAR" run \
  --set listen.address=127.0.0.1 --set listen.port="$CLIENT_PORT" --set admin.port="$ADMIN_PORT" \
  --set listen.event-loops=2 --set tls.certificates="$WORK/cert.pem:$WORK/key.pem" \
  --set auth.token-key-file="$WORK/tokens.keys" --set zookeeper.connect="127.0.0.1:$ZK_PORT" \
  --set limits.max-connections-per-ip=0 --set limits.max-handshake-rate=0 ${PRESENTER_SETS:-} \
  > "$OUT/presenter.log" 2>&1 &
EDGE_PID=$!
PIDS+=($EDGE_PID)
for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null || { tail -n 30 "$OUT"/*.log; exit 1; }
fi

churn() {  # sessions rate out
  java -jar "$LOADTEST_JAR" connect --quiet --target "127.0.0.1:$CLIENT_PORT" --token-keys "$WORK/tokens.keys" \
    --connections "$1" --connect-rate "$2" --hold PT0S --resumption OFF --connect-timeout PT60S \
    --out "$3" > "$3.out" 2>&1
}
active_clients() {
  if [[ "$EDGE" == haproxy ]]; then
    ss -Htn state established "( sport = :$CLIENT_PORT )" | wc -l
  else
    curl -fs "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^presenter_connections_active / {print int($2)}'
  fi
}
thread_cpu() {  # "loops jit gc" clock ticks so far, by thread kind
  for task in /proc/"$EDGE_PID"/task/*; do
    local stat comm rest
    stat=$(cat "$task/stat" 2>/dev/null) || continue
    comm=${stat#*(}; comm=${comm%)*}; rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest
    echo "${comm// /_} $((${12} + ${13}))"
  done | awk '$1 ~ /^(multiThreadIoEv|haproxy)/ {l += $2} $1 ~ /Compiler/ {j += $2} $1 ~ /^(GC_Thread|G1_)/ {g += $2}
              END {print l + 0, j + 0, g + 0}'
}

TICK=$(getconf CLK_TCK)
cpu_mark() {  # "user kernel loops jit gc" clock ticks so far
  echo "$(awk '{print $14, $15}' "/proc/$EDGE_PID/stat") $(thread_cpu)"
}
cpu_report() {  # label sessions mark-before mark-after: CPU per session, by thread kind
  # shellcheck disable=SC2086
  awk -v label="$1" -v n="$2" -v tick="$TICK" -v a="$3" -v b="$4" 'BEGIN {
    split(a, x, " "); split(b, y, " "); us = tick * n / 1e6
    printf "%s %.0f us = user %.0f + kernel %.0f; event loops %.0f, JIT %.0f, GC %.0f\n", label, \
      (y[1]-x[1]+y[2]-x[2])/us, (y[1]-x[1])/us, (y[2]-x[2])/us, (y[3]-x[3])/us, (y[4]-x[4])/us, (y[5]-x[5])/us
  }'
}
wait_idle() {
  for _ in $(seq 1 120); do
    [[ "$(active_clients)" == 0 ]] && return
    sleep 0.5
  done
}

run=0
for ((left = WARMUP; left > 0; left -= 10000)); do
  # A warm-up run with some failures (timeouts on a loaded machine) still warms: say so, go on.
  n=$((left < 10000 ? left : 10000)); run=$((run + 1)); before=$(cpu_mark)
  churn $n $((RATE * 2)) "$OUT/warmup.json" || echo "warm-up run had failures: $(tail -n 3 "$OUT/warmup.json.out")"
  wait_idle
  cpu_report "warm-up run $run, $n sessions: CPU per session" $n "$before" "$(cpu_mark)"
done
for _ in $(seq 1 40); do  # JIT quiet for 3 s (bounded)
  [[ "$EDGE" == haproxy ]] && break
  before=$(jstat -compiler "$EDGE_PID" | awk 'NR == 2 {print $1}')
  sleep 3
  [[ "$(jstat -compiler "$EDGE_PID" | awk 'NR == 2 {print $1}')" == "$before" ]] && break
done

if [[ "${STRACE:-0}" == 1 ]]; then
  strace -c -f -p "$EDGE_PID" -o "$OUT/strace.txt" &
  STRACE_PID=$!
  sleep 2
fi
if [[ "${PERF:-0}" == 1 ]]; then
  perf record -q -e cpu-clock -F 999 -g -p "$EDGE_PID" -o "$OUT/perf.data" > /dev/null 2>&1 &
  PERF_PID=$!
fi
sleep 1.2  # an allocation sample of the idle presenter before the wave (JFR samples every second)
WAVE_START=$(date -u +%s.%N); BEFORE=$(cpu_mark)
churn "$SESSIONS" "$RATE" "$OUT/measured.json"
wait_idle
AFTER=$(cpu_mark); WAVE_END=$(date -u +%s.%N)
if [[ "${STRACE:-0}" == 1 ]]; then
  kill -INT "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true
fi
if [[ "${PERF:-0}" == 1 ]]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true
fi
sleep 1.2  # and one after it
[[ "$EDGE" == haproxy ]] || jcmd "$EDGE_PID" JFR.dump name=alloc filename="$OUT/alloc.jfr" > /dev/null
OK=$(python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["waves"][0]; print("%d of %d" % (w["succeeded"], w["attempted"]))' "$OUT/measured.json")

# Wave 2, the profile: async-profiler's CPU samples of as many sessions again.
if [[ "${PROFILE:-0}" == 1 && "$EDGE" == presenter ]]; then
  AP_DIR=gateway/target/bench/async-profiler
  if [[ ! -f "$AP_DIR/linux-x64/libasyncProfiler.so" ]]; then
    mvn -q dependency:copy -Dartifact=tools.profiler:async-profiler:4.2 -DoutputDirectory="$AP_DIR" > /dev/null
    (cd "$AP_DIR" && unzip -q -o async-profiler-4.2.jar 'linux-x64/*')
  fi
  AP_LIB=$(realpath "$AP_DIR/linux-x64/libasyncProfiler.so")
  # jcmd splits an argument at '=' unless it is quoted inside
  jcmd "$EDGE_PID" JVMTI.agent_load "$AP_LIB" "\"start,event=cpu,interval=1ms,threads\"" > /dev/null
  churn "$SESSIONS" "$RATE" "$OUT/profiled.json" || echo "profiled wave had failures"
  jcmd "$EDGE_PID" JVMTI.agent_load "$AP_LIB" "\"stop,file=$OUT/profile.collapsed,collapsed\"" > /dev/null
fi

{
echo "$EDGE: sessions: $SESSIONS at $RATE/s after $WARMUP of warm-up (harness: $OK succeeded)"
cpu_report "CPU per session (noisy):  " "$SESSIONS" "$BEFORE" "$AFTER"
# Bytes allocated per session by the event-loop threads: each thread's last sample before the wave
# and its first after it.
[[ -f "$OUT/alloc.jfr" ]] && jfr print --json --events jdk.ThreadAllocationStatistics "$OUT/alloc.jfr" | python3 -c '
import json, sys, datetime
n, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
events = json.load(sys.stdin)["recording"]["events"]
before, after = {}, {}
for e in events:
    v = e["values"]; name = (v.get("thread") or {}).get("javaName") or ""
    if not name.startswith("multiThreadIoEventLoopGroup"):
        continue
    t = datetime.datetime.fromisoformat(v["startTime"].replace("Z", "+00:00")).timestamp()
    if t <= start:
        before[name] = v["allocated"]
    elif t >= end and name not in after:
        after[name] = v["allocated"]
total = sum(after[t] - before.get(t, 0) for t in after)
print("heap allocated per session by the event loops: %.0f B (%d threads)" % (total / n, len(after)))
' "$SESSIONS" "$WAVE_START" "$WAVE_END"
if [[ -f "$OUT/strace.txt" ]]; then
  echo "syscalls per session (strace -c -f over the measured wave):"
  awk -v n="$SESSIONS" '$1 ~ /^[0-9.]+$/ && NF >= 5 {name = $NF; calls = $4; printf "  %-20s %.2f\n", name, calls / n}' \
    "$OUT/strace.txt" | sort -k2 -nr | head -20
  awk -v n="$SESSIONS" '/total/ {printf "  %-20s %.2f\n", "total", $3 / n}' "$OUT/strace.txt"
fi
if [[ -f "$OUT/perf.data" ]]; then
  echo "CPU samples by thread kind and library (perf, whole measured wave, % of the edge's samples):"
  perf report -i "$OUT/perf.data" --no-children --sort comm,dso --stdio 2>/dev/null \
    | awk '/^ +[0-9.]+%/ {print "  " $0}' | head -25
fi
if [[ -f "$OUT/profile.collapsed" ]]; then
  gateway/bench/stacks-top.sh "$OUT/profile.collapsed"
fi
} | tee "$OUT/summary.txt"
