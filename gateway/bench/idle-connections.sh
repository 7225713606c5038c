#!/usr/bin/env bash
# Memory per idle TLS client connection and CPU per handshake of a real presenter process, at
# N connections (default 10000): a ZooKeeper, one chat-server stub, the presenter, and the load
# harness's `connect` scenario holding N idle authenticated clients.
# Prints, per connection, the presenter's live heap after a full GC and its native memory: the heap
# is fixed and pre-touched (-Xms = -Xmx, AlwaysPreTouch), so RSS growth is memory outside the Java
# heap (BoringSSL's per-connection SSL objects, which NMT cannot see because they come from
# malloc, plus direct buffers and thread stacks). Also the internal (mux) connection count.
#
#   gateway/bench/idle-connections.sh [connections] [--groups X25519,P-256] [--transport quic]
#
# --transport quic: the presenter also listens for QUIC (quic.enabled) and every client of the
# harness (warm-up, measured wave, resumed wave) connects over QUIC instead (`loadtest
# --transport quic`): memory per idle QUIC session and CPU per QUIC connect. Either way, after the
# idle measurement a further wave of RESUMED (default 1000) clients connects at RESUMED_RATE
# (default 100/s) sharing the harness's session cache, and the presenter's CPU per connect is
# printed for that wave with how many of its handshakes resumed (a QUIC ticket is used once, so
# only clients that find a fresh ticket resume: the slower the rate, the more do).
#
# WARMUP (default 30000) connections come and go first, in waves of 10000 (the open-file limit),
# and the JIT is given time to finish, so CPU is measured in steady state: code that runs once per
# connection reaches C2 only after ~15,000 connections, so a shorter warm-up puts compilation into
# the measured wave; the native heap is trimmed before each snapshot, so memory those connections freed
# (which malloc would hand to the next ones) does not hide the cost of the connections held.
# PRESENTER_JAVA_OPTS adds JVM options to the presenter, e.g. a flight recording of the connect
# phase: PRESENTER_JAVA_OPTS='-XX:StartFlightRecording=filename=/tmp/p.jfr,settings=profile'.
#
# HOLD (default PT40S) is how long the measured wave holds its clients; RAMP_WAIT_STEPS (default
# 200) bounds the wait for them in half seconds. The live heap per connection is also broken down
# by class (GC.class_histogram after minus before). PRESENTER_JAR, CHAT_JAR, LOADTEST_JAR choose
# the jars (default: this checkout's target/ jars). PRESENTER_SETS adds presenter --set options.
# TLS sessions the presenter caches (tls.session-cache-size, 20,480 by default) count in the
# figures until the cache is full: the default warm-up (30,000) fills it first; with a shorter one,
# give a smaller cache (PRESENTER_SETS="--set tls.session-cache-size=1000").
#
# NMT=1 runs the presenter with Native Memory Tracking and also prints the JVM's own native growth
# per connection (code cache, compiler arenas, metaspace, thread stacks: NMT's committed total less
# the heap) and the RSS growth left after it, i.e. memory the JVM does not account for (BoringSSL's
# malloc, glibc's overhead). At a few thousand clients the JIT still compiles during the measured
# wave and its code lands in the plain RSS figure (BENCHMARKS.md, "The TLS engine's non-application
# buffer"); NMT costs a little CPU, so compare CPU figures only between runs alike.
#
# Needs the jars: mvn -B -q -DskipTests package. Ports: free ones picked at start (loopback).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
WARMUP=${WARMUP:-30000}
RESUMED=${RESUMED:-1000}
RESUMED_RATE=${RESUMED_RATE:-100}
PRESENTER_JAR=${PRESENTER_JAR:-gateway/target/presenter.jar}
CHAT_JAR=${CHAT_JAR:-chat-server-stub/target/chat-server.jar}
LOADTEST_JAR=${LOADTEST_JAR:-loadtest/target/loadtest.jar}
# WARMUP_RATE (default 2000/s) and RATE (default 1000/s): the warm-up's and the measured wave's
# connect rates; CONNECT_TIMEOUT (default 10s) bounds each client's connect.
GROUPS_SET=()
TRANSPORT=tcp
shift || true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --groups) GROUPS_SET=(--set "tls.groups=$2"); shift 2 ;;
    --transport) TRANSPORT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
free_port() {  # a port free now on 127.0.0.1 for $1 = tcp or udp
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
ZK_PORT=$(free_port tcp); PORT=$(free_port tcp); ADMIN=$(free_port tcp); QUIC_PORT=$(free_port udp)
QUIC_SET=()
TARGET=127.0.0.1:$PORT
LOAD_TRANSPORT=(--transport "$TRANSPORT")
if [[ "$TRANSPORT" == quic ]]; then
  QUIC_SET=(--set quic.enabled=true --set quic.port="$QUIC_PORT")
  TARGET=127.0.0.1:$QUIC_PORT
elif [[ "$TRANSPORT" != tcp ]]; then
  echo "--transport must be tcp or quic" >&2; exit 2
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {  # no drain: a presenter or stub told to stop drains for minutes, and nothing is left to drain
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -days 2 -subj /CN=localhost 2>/dev/null
echo "k1 = $(head -c 32 /dev/urandom | base64)" > "$WORK/tokens.keys"

java -cp "$PRESENTER_JAR" io.presenter.ring.EmbeddedZooKeeper "$ZK_PORT" "$WORK/zk" > "$WORK/zk.log" 2>&1 &
PIDS+=($!)
java -jar "$CHAT_JAR" --id chat-1 --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  --token-keys "$WORK/tokens.keys" --zookeeper 127.0.0.1:"$ZK_PORT" --direct-port 0 --mux-port 0 --admin-port 0 \
  > "$WORK/chat.log" 2>&1 &
PIDS+=($!)
NMT_OPTS=()
[[ "${NMT:-0}" == 1 ]] && NMT_OPTS=(-XX:NativeMemoryTracking=summary)
java -Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:-UseDynamicNumberOfCompilerThreads "${NMT_OPTS[@]}" ${PRESENTER_JAVA_OPTS:-} -jar "$PRESENTER_JAR" run \
  --set listen.address=127.0.0.1 --set listen.port="$PORT" --set listen.event-loops=2 --set admin.port="$ADMIN" \
  --set tls.certificates="$WORK/cert.pem:$WORK/key.pem" --set auth.token-key-file="$WORK/tokens.keys" \
  --set zookeeper.connect=127.0.0.1:"$ZK_PORT" --set limits.max-connections-per-ip=0 "${GROUPS_SET[@]}" "${QUIC_SET[@]}" ${PRESENTER_SETS:-} \
  > "$WORK/presenter.log" 2>&1 &
PRESENTER=$!
PIDS+=($PRESENTER)
for _ in $(seq 1 120); do
  curl -fs http://127.0.0.1:$ADMIN/ready >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs http://127.0.0.1:$ADMIN/ready || { for f in "$WORK"/*.log; do echo "== $f"; tail -n 20 "$f"; done; exit 1; }

snapshot() {  # rss_kib heap_live_kib
  # Twice: what only finalizers and cleaners still held after the first collection goes in the second.
  jcmd "$PRESENTER" GC.run >/dev/null
  sleep 1
  jcmd "$PRESENTER" GC.run >/dev/null
  jcmd "$PRESENTER" System.trim_native_heap >/dev/null
  local rss heap
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$PRESENTER/status")
  heap=$(jcmd "$PRESENTER" GC.heap_info | awk '/used/ {for (i=1;i<=NF;i++) if ($i=="used") {gsub("K","",$(i+1)); print $(i+1); exit}}')
  local jvm=0  # NMT: committed native memory of the JVM itself, the heap left out
  if [[ "${NMT:-0}" == 1 ]]; then
    jvm=$(jcmd "$PRESENTER" VM.native_memory summary | awk '
      /^Total:/ {match($0, /committed=[0-9]+/); total = substr($0, RSTART + 10, RLENGTH - 10)}
      /Java Heap \(/ {match($0, /committed=[0-9]+/); heap = substr($0, RSTART + 10, RLENGTH - 10)}
      END {print total - heap}')
  fi
  echo "$rss $heap $jvm"
}

active_clients() {  # the presenter's count, or empty while /metrics does not answer
  curl -fs http://127.0.0.1:$ADMIN/metrics | awk '/^presenter_connections_active / {print int($2)}'
}

thread_cpu() {  # "loops jit gc" clock ticks so far, by thread kind (compiler threads are kept alive for this)
  for task in /proc/"$PRESENTER"/task/*; do
    local stat comm rest
    stat=$(cat "$task/stat" 2>/dev/null) || continue
    comm=${stat#*(}; comm=${comm%)*}; rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest  # field 3 of stat is $1 here: utime is $12, stime $13
    echo "${comm// /_} $((${12} + ${13}))"
  done | awk '$1 ~ /^multiThreadIoEv/ {l += $2} $1 ~ /Compiler/ {j += $2} $1 ~ /^(GC_Thread|G1_)/ {g += $2}
              END {print l + 0, j + 0, g + 0}'
}

# Warm up: waves of connections so code paths are compiled and pools and caches exist before the baseline.
for ((left = WARMUP; left > 0; left -= 10000)); do
  java -jar "$LOADTEST_JAR" connect --quiet --target "$TARGET" "${LOAD_TRANSPORT[@]}" --token-keys "$WORK/tokens.keys" --connect-timeout "${CONNECT_TIMEOUT:-10s}" \
    --connections $((left < 10000 ? left : 10000)) --connect-rate "${WARMUP_RATE:-2000}" --hold PT1S --resumption OFF \
    --out "$WORK/warmup.json" >/dev/null || echo "warm-up wave: some connections failed (not measured)"
done
# The warm-up's clients are gone when the presenter has closed them all (their streams too).
for _ in $(seq 1 120); do
  ACTIVE=$(active_clients)
  [[ "${ACTIVE:-1}" -eq 0 ]] && break
  sleep 0.5
done
# The JIT keeps compiling what the warm-up made hot for a while after it: wait (bounded) until no
# method has been compiled for 3 s, so the measured wave pays steady-state CPU, not compilation.
for _ in $(seq 1 40); do
  before=$(jstat -compiler "$PRESENTER" | awk 'NR == 2 {print $1}')
  sleep 3
  [[ "$(jstat -compiler "$PRESENTER" | awk 'NR == 2 {print $1}')" == "$before" ]] && break
done
read -r RSS0 HEAP0 JVM0 < <(snapshot)
read -r USER0 SYS0 < <(awk '{print $14, $15}' "/proc/$PRESENTER/stat")
read -r LOOPS0 JIT0 GC0 < <(thread_cpu)
jcmd "$PRESENTER" GC.class_histogram > "$WORK/histogram0.txt"

java -jar "$LOADTEST_JAR" connect --target "$TARGET" "${LOAD_TRANSPORT[@]}" --token-keys "$WORK/tokens.keys" --connect-timeout "${CONNECT_TIMEOUT:-10s}" \
  --connections "$N" --connect-rate "${RATE:-1000}" --hold "${HOLD:-PT40S}" --resumption OFF --source-addresses 127.0.0.1-127.0.0.4 \
  --server-pid "$PRESENTER" --out "$WORK/connect.json" > "$WORK/connect.out" 2>&1 &
LOAD=$!
# Until all are in, or the harness has given up on the rest (bounded: a loaded machine ramps slowly).
for _ in $(seq 1 "${RAMP_WAIT_STEPS:-200}"); do
  ACTIVE=$(active_clients)
  [[ "${ACTIVE:-0}" -ge "$N" ]] && break
  kill -0 "$LOAD" 2>/dev/null || break
  sleep 0.5
done
read -r USER1 SYS1 < <(awk '{print $14, $15}' "/proc/$PRESENTER/stat")
read -r LOOPS1 JIT1 GC1 < <(thread_cpu)
read -r RSS1 HEAP1 JVM1 < <(snapshot)
jcmd "$PRESENTER" GC.class_histogram > "$WORK/histogram1.txt"
INTERNAL=$(curl -fs http://127.0.0.1:$ADMIN/metrics | awk '/^presenter_backend_connections / {print int($2)}')
wait $LOAD || true
TICK=$(getconf CLK_TCK)

echo "connections held:          $ACTIVE"
echo "internal mux connections:  $INTERNAL"
awk -v n="$ACTIVE" -v r0="$RSS0" -v r1="$RSS1" -v h0="$HEAP0" -v h1="$HEAP1" -v v0="$JVM0" -v v1="$JVM1" -v nmt="${NMT:-0}" \
    -v u0="$USER0" -v u1="$USER1" -v s0="$SYS0" -v s1="$SYS1" -v tick="$TICK" \
    -v l0="$LOOPS0" -v l1="$LOOPS1" -v j0="$JIT0" -v j1="$JIT1" -v g0="$GC0" -v g1="$GC1" 'BEGIN {
  us = tick * n / 1e6
  printf "live heap per connection:  %.2f KiB (%d -> %d KiB, after full GC)\n", (h1-h0)/n, h0, h1
  printf "native per connection:     %.2f KiB (RSS %d -> %d KiB; the heap is pre-touched)\n", (r1-r0)/n, r0, r1
  if (nmt == 1) {
    printf "  of it the JVM itself:     %.2f KiB (NMT committed less the heap, %d -> %d KiB)\n", (v1-v0)/n, v0, v1
    printf "  outside the JVM:          %.2f KiB (BoringSSL, glibc: RSS growth less the above)\n", (r1-r0-(v1-v0))/n
  }
  printf "memory per connection:     %.2f KiB (live heap + native)\n", (h1-h0+r1-r0)/n
  printf "presenter CPU per connect: %.0f us = user %.0f + kernel %.0f (accept + full TLS handshake + auth + stream open)\n", \
    (u1-u0+s1-s0)/us, (u1-u0)/us, (s1-s0)/us
  printf "  by thread:               event loops %.0f, JIT compilers %.0f, GC %.0f, other %.0f us\n", \
    (l1-l0)/us, (j1-j0)/us, (g1-g0)/us, (u1-u0+s1-s0-(l1-l0)-(j1-j0)-(g1-g0))/us
}'
grep -E "handshakes|full|resumed|failed" "$WORK/connect.out" | head -8 || true
# What the held connections consist of: live objects per connection by class (histogram after minus
# before, both after a full GC), the biggest first.
echo "live heap per connection by class (top ${TOP_CLASSES:-25}):"
python3 - "$WORK/histogram0.txt" "$WORK/histogram1.txt" "$ACTIVE" "${TOP_CLASSES:-25}" <<'PY'
import sys
def read(path):
    rows = {}
    for line in open(path):
        parts = line.split()
        if len(parts) >= 4 and parts[0].endswith(":"):
            rows[parts[3]] = (int(parts[1]), int(parts[2]))
    return rows
before, after, n, top = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
diff = []
for cls, (count, size) in after.items():
    c0, s0 = before.get(cls, (0, 0))
    diff.append((size - s0, count - c0, cls))
diff.sort(reverse=True)
for size, count, cls in diff[:top]:
    print("  %7.1f B  %6.2f objects  %s" % (size / n, count / n, cls))
print("  %7.1f B  in all classes" % (sum(d[0] for d in diff) / n))
PY

# Full against resumed, same rate, same transport: the presenter's CPU per connect over each wave
# (from the harness's --server-pid samples: everything the process did during the ramp, so the
# idle background of a slow ramp is in both alike).
for _ in $(seq 1 120); do
  ACTIVE=$(active_clients)
  [[ "${ACTIVE:-1}" -eq 0 ]] && break
  sleep 0.5
done
# The presenter's own background (ZooKeeper session, ring and pool upkeep, metrics) over 10 idle
# seconds, subtracted from each wave in proportion to its duration.
read -r IU0 IS0 < <(awk '{print $14, $15}' "/proc/$PRESENTER/stat")
sleep 10
read -r IU1 IS1 < <(awk '{print $14, $15}' "/proc/$PRESENTER/stat")
IDLE_US_PER_S=$(( (IU1 - IU0 + IS1 - IS0) * 1000000 / $(getconf CLK_TCK) / 10 ))
echo "presenter idle background: $IDLE_US_PER_S us of CPU per second"
for mode in OFF SHARED; do
  java -jar "$LOADTEST_JAR" connect --quiet --target "$TARGET" "${LOAD_TRANSPORT[@]}" \
    --token-keys "$WORK/tokens.keys" --connect-timeout "${CONNECT_TIMEOUT:-10s}" --connections "$RESUMED" \
    --connect-rate "$RESUMED_RATE" --hold PT1S \
    --resumption "$mode" --warmup-connections 50 --server-pid "$PRESENTER" --out "$WORK/wave-$mode.json" >/dev/null || true
  python3 - "$WORK/wave-$mode.json" "$mode" "$TRANSPORT" "$IDLE_US_PER_S" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
hs, cost = r["handshakes"], r.get("server", {}).get("ramp", {})
n = hs["full"] + hs["resumed"] + hs["unknown"]
net = (cost["cpu_us"] - int(sys.argv[4]) * cost["wall_us"] / 1e6) / n if n and "cpu_us" in cost else None
print("%s, resumption %-6s %d connects at the slow rate: full %d, resumed %d, failed %d; presenter CPU per connect %s us,"
      " %s us without the idle background" % (sys.argv[3], sys.argv[2], r["attempted"], hs["full"], hs["resumed"],
      r["failed"], cost.get("cpu_us_per_handshake"), None if net is None else round(net)))
PY
done
