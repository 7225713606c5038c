#!/usr/bin/env bash
# Three-way benchmark on one machine, one run, in turn, with the same chat-server stub, the same
# harness and the same ECDSA P-256 certificate:
#   1. direct    clients -> chat server direct TLS port (baseline)
#   2. haproxy   clients -> HAProxy 2.6 (Debian package) terminating TLS, TCP mode -> the chat
#                server's plaintext direct port (--plaintext-port): how a team deploys a TLS
#                terminator (HAPROXY_MODE=terminate, the default). HAPROXY_MODE=reencrypt opens TLS
#                again to the direct TLS port (two TLS sessions per client); HAPROXY_MODE=passthrough
#                only relays TCP and the chat server does the TLS.
#   3. presenter clients -> presenter (BoringSSL) -> chat server over mux.
# For each leg: server CPU per full and per resumed session, connect-to-first-answer latency
# (connect + TLS + auth packet + its answer) p50/p99 for clients with Nagle on and off, RSS per idle
# TLS connection (slope from N_LOW to N_HIGH connections), internal TCP connections to the chat
# server, chat latency at a fixed rate, max relayed messages/s, reconnect-storm recovery. Every
# load run is bounded, and any failed run (harness exit code != 0, or a figure missing from its
# report) stops the script with a non-zero exit naming the run: no leg is silently dropped.
#
# Usage: loadtest/bench/three-way.sh [OUTDIR]     (default: loadtest/target/bench-<time>)
# Knobs (environment): RUNS=3 N_LOW=1000 N_HIGH=9000 CONNECT_RATE=500 CHAT_CONNECTIONS=1000
#   CHAT_RATE=2000 CHAT_DURATION=PT10S MAX_RATE=20000 STORM_CONNECTIONS=2000 LEGS="direct haproxy presenter"
#   SETUP_CONNECTIONS=1000 SETUP_RATE=100 WARMUP_CONNECTIONS=2000 CONNECT_TIMEOUT=PT10S
#   HAPROXY_MODE=terminate|reencrypt|passthrough
#   PRESENTER_JAR=gateway/target/presenter.jar
# Writes OUTDIR/results.md (the table), OUTDIR/<leg>-<figure>-<run>.{json,html}, and logs.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$REPO/loadtest/target/bench-$(date -u +%Y%m%dT%H%M%SZ)}
RUNS=${RUNS:-3}
N_LOW=${N_LOW:-1000}
N_HIGH=${N_HIGH:-9000}
CONNECT_RATE=${CONNECT_RATE:-500}
CHAT_CONNECTIONS=${CHAT_CONNECTIONS:-1000}
CHAT_RATE=${CHAT_RATE:-2000}
CHAT_DURATION=${CHAT_DURATION:-PT10S}
MAX_RATE=${MAX_RATE:-20000}
STORM_CONNECTIONS=${STORM_CONNECTIONS:-2000}
LEGS=${LEGS:-"direct haproxy presenter"}
SETUP_CONNECTIONS=${SETUP_CONNECTIONS:-1000}
SETUP_RATE=${SETUP_RATE:-100}
WARMUP_CONNECTIONS=${WARMUP_CONNECTIONS:-2000}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-PT10S}
HAPROXY_MODE=${HAPROXY_MODE:-terminate}
case $HAPROXY_MODE in terminate|reencrypt|passthrough) ;; *) echo "HAPROXY_MODE: terminate, reencrypt or passthrough" >&2; exit 2 ;; esac
PRESENTER_JAR=${PRESENTER_JAR:-$REPO/gateway/target/presenter.jar}
LOADTEST_JAR=$REPO/loadtest/target/loadtest.jar
CHAT_JAR=$REPO/chat-server-stub/target/chat-server.jar
ZK_PORT=${ZK_PORT:-21810}; CHAT_DIRECT=${CHAT_DIRECT:-17443}; CHAT_MUX=${CHAT_MUX:-17100}; CHAT_ADMIN=${CHAT_ADMIN:-19101}
CHAT_PLAIN=${CHAT_PLAIN:-17080}
HAPROXY_PORT=${HAPROXY_PORT:-18443}; PRESENTER_PORT=${PRESENTER_PORT:-19443}; PRESENTER_ADMIN=${PRESENTER_ADMIN:-19090}

mkdir -p "$OUT"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/bench.log" >&2; }
wait_port() { # port, seconds
  for _ in $(seq 1 $((${2:-30} * 10))); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1
  done
  echo "port $1 not up" >&2; return 1
}

# --- prerequisites -----------------------------------------------------------------------------
if ! command -v haproxy >/dev/null; then
  log "installing haproxy (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
fi
if [ ! -f "$LOADTEST_JAR" ] || [ ! -f "$CHAT_JAR" ]; then
  log "building the shaded jars"
  (cd "$REPO" && mvn -B -q -pl loadtest,chat-server-stub -am package -DskipTests)
fi
if [[ " $LEGS " == *" presenter "* ]] && ! java -jar "$PRESENTER_JAR" run --help >/dev/null 2>&1; then
  log "building the presenter jar"
  (cd "$REPO" && mvn -B -q -pl gateway -am package -DskipTests)
  java -jar "$PRESENTER_JAR" run --help >/dev/null 2>&1 \
    || { log "FAILED: no presenter daemon at $PRESENTER_JAR (java -jar ... run)"; exit 1; }
fi
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }

# --- one certificate, one key file -------------------------------------------------------------
cd "$OUT"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem \
  -days 30 -subj /CN=localhost 2>/dev/null
cat cert.pem key.pem > haproxy.pem
echo "k1 = $(head -c 32 /dev/urandom | base64)" > tokens.keys

# --- ZooKeeper (the project's EmbeddedZooKeeper, single node) and one chat-server stub -----------
java -Xmx256m -cp "$LOADTEST_JAR" io.presenter.ring.EmbeddedZooKeeper $ZK_PORT "$OUT/zk" > zk.log 2>&1 &
PIDS+=($!); wait_port "$ZK_PORT"
java -Xms512m -jar "$CHAT_JAR" --id chat-1 --cert cert.pem --key key.pem --token-keys tokens.keys \
  --zookeeper 127.0.0.1:$ZK_PORT --direct-port $CHAT_DIRECT --mux-port $CHAT_MUX --admin-port $CHAT_ADMIN \
  --plaintext-port $CHAT_PLAIN --max-sessions 200000 > chat.log 2>&1 &
CHAT_PID=$!; PIDS+=($CHAT_PID); wait_port $CHAT_DIRECT; wait_port $CHAT_PLAIN
log "zookeeper on $ZK_PORT, chat server pid $CHAT_PID on $CHAT_DIRECT (plaintext $CHAT_PLAIN, mux $CHAT_MUX)"

# --- the edges ----------------------------------------------------------------------------------
start_haproxy() {
  local server_ssl="" bind_ssl="ssl crt $OUT/haproxy.pem" server_port=$CHAT_PLAIN
  case $HAPROXY_MODE in
    reencrypt) server_ssl="ssl verify none"; server_port=$CHAT_DIRECT ;;
    passthrough) bind_ssl=""; server_port=$CHAT_DIRECT ;;
  esac
  "$REPO/loadtest/bench/haproxy-cfg.sh" "$HAPROXY_PORT" "$server_port" "$bind_ssl" "$server_ssl" > haproxy.cfg
  haproxy -f haproxy.cfg -db > haproxy.log 2>&1 &
  EDGE_PID=$!; PIDS+=($EDGE_PID); wait_port $HAPROXY_PORT
  TARGET=127.0.0.1:$HAPROXY_PORT; METRICS=""
}
start_presenter() {
  cat > presenter.yaml <<EOF
presenter:
  id: presenter-bench
listen:
  address: 127.0.0.1
  port: $PRESENTER_PORT
limits:
  max-connections-per-ip: 0
tls:
  certificates:
    - chain: $OUT/cert.pem
      key: $OUT/key.pem
zookeeper:
  connect: 127.0.0.1:$ZK_PORT
admin:
  port: $PRESENTER_ADMIN
drain:
  quiet-period: 1s
EOF
  java -Xms512m -jar "$PRESENTER_JAR" run -c presenter.yaml > presenter.log 2>&1 &
  EDGE_PID=$!; PIDS+=($EDGE_PID); wait_port $PRESENTER_PORT 60
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$PRESENTER_ADMIN/ready >/dev/null && break; sleep 0.2; done
  TARGET=127.0.0.1:$PRESENTER_PORT; METRICS=http://127.0.0.1:$PRESENTER_ADMIN/metrics
}
# SIGTERM: HAProxy (-db) stops at once; the presenter drains, and with no client left and
# drain.quiet-period 1s (presenter.yaml above) exits within seconds. (SIGINT is ignored by
# background jobs of a non-interactive shell.) Bounded: SIGKILL after 30 s.
stop_edge() {
  [ -n "${EDGE_PID:-}" ] || return 0
  kill "$EDGE_PID" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$EDGE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$EDGE_PID" 2>/dev/null || true
  wait "$EDGE_PID" 2>/dev/null || true
  EDGE_PID=""
}

LT() { java -jar "$LOADTEST_JAR" "$@" --target "$TARGET" --token-keys tokens.keys --connect-timeout "$CONNECT_TIMEOUT" --quiet; }
# RUN NAME ARGS...: one harness run whose console output goes to NAME.txt; a failure stops the script
RUN() {
  local name=$1 code=0; shift
  LT "$@" > "$name.txt" 2>&1 || code=$?
  if [ "$code" -ne 0 ]; then
    log "FAILED: harness run $name (exit code $code): see $OUT/$name.txt"; tail -n 20 "$name.txt" >&2; exit 1
  fi
}
# FIG NAME FILE JQ: a figure from a run's report; a missing one (null) stops the script
FIG() {
  local v; v=$(jq -e "$3" "$2") || { log "FAILED: run $1 has no figure $3 in $2"; exit 1; }
  echo "$v"
}
internal_connections() { ss -Htn state established "( dport = :$CHAT_DIRECT or dport = :$CHAT_MUX or dport = :$CHAT_PLAIN )" | wc -l; }

# --- the legs -----------------------------------------------------------------------------------
echo "leg,run,full_us,resumed_us,setup_nagle_p50_us,setup_nagle_p99_us,setup_nodelay_p50_us,setup_nodelay_p99_us,rss_per_conn_bytes,internal_conns,p50_us,p99_us,max_delivered_per_s,storm_all_ms,storm_99_ms" > results.csv
for leg in $LEGS; do
  case $leg in
    direct) TARGET=127.0.0.1:$CHAT_DIRECT; EDGE_PID=""; PID=$CHAT_PID; METRICS="" ;;
    haproxy) start_haproxy; PID=$EDGE_PID ;;
    presenter) start_presenter; PID=$EDGE_PID ;;
  esac
  log "leg $leg: target $TARGET, measuring pid $PID"
  # warm the edge's JIT/caches once, unreported (but a failure still stops the script): half the
  # warm-up full handshakes, half resumed (wave 2 resumes wave 1's sessions), so that the resumed
  # figure below is not the first time the edge's resumption path runs hot
  RUN "$leg-warmup" connect --connections $(( (WARMUP_CONNECTIONS + 1) / 2 )) --connect-rate $CONNECT_RATE \
    --hold PT0S --waves 2 --resumption SHARED
  for run in $(seq 1 "$RUNS"); do
    p="$leg-$run"
    # full and resumed handshakes: wave 1 all full (OFF would keep wave 2 full too), wave 2 resumes
    RUN "$p-handshakes" connect --connections $N_LOW --connect-rate $CONNECT_RATE --hold PT1S --waves 2 \
      --resumption SHARED --server-pid $PID --warmup-connections 500 --out "$p-handshakes.json" --html "$p-handshakes.html"
    RUN "$p-full" connect --connections $N_LOW --connect-rate $CONNECT_RATE --hold PT1S --resumption OFF \
      --server-pid $PID --out "$p-full.json"
    full=$(FIG "$p-full" "$p-full.json" '.waves[0].server.ramp.cpu_us_per_handshake')
    resumed=$(FIG "$p-handshakes" "$p-handshakes.json" \
      'if .waves[1].handshakes.resumed > 0 then .waves[1].server.ramp.cpu_us_per_handshake else null end')
    # connect to first answer (TCP + TLS + auth packet + its answer), one new session at a time
    # mostly (SETUP_RATE/s), clients with Nagle on (auth packet written after the handshake, as a
    # blocking client does) and with TCP_NODELAY
    RUN "$p-setup-nagle" connect --connections $SETUP_CONNECTIONS --connect-rate $SETUP_RATE --hold PT0S \
      --resumption OFF --nagle --out "$p-setup-nagle.json"
    RUN "$p-setup-nodelay" connect --connections $SETUP_CONNECTIONS --connect-rate $SETUP_RATE --hold PT0S \
      --resumption OFF --out "$p-setup-nodelay.json"
    sn50=$(FIG "$p-setup-nagle" "$p-setup-nagle.json" '.waves[0].latency_us.connect_to_answer.p50')
    sn99=$(FIG "$p-setup-nagle" "$p-setup-nagle.json" '.waves[0].latency_us.connect_to_answer.p99')
    sd50=$(FIG "$p-setup-nodelay" "$p-setup-nodelay.json" '.waves[0].latency_us.connect_to_answer.p50')
    sd99=$(FIG "$p-setup-nodelay" "$p-setup-nodelay.json" '.waves[0].latency_us.connect_to_answer.p99')
    # memory per idle TLS connection: RSS after ramping N_LOW vs N_HIGH, held open
    RUN "$p-idle-low" connect --connections $N_LOW --connect-rate $CONNECT_RATE --hold PT10S --resumption OFF \
      --server-pid $PID --out "$p-idle-low.json"
    # past ~15k clients one process runs out of files (20k here): two workers on two source addresses
    WORKERS=(); [ "$N_HIGH" -gt 15000 ] && WORKERS=(--workers 2 --source-addresses 127.0.0.2-127.0.0.3)
    RUN "$p-idle-high" connect --connections $N_HIGH --connect-rate $CONNECT_RATE --hold PT10S --resumption OFF \
      --server-pid $PID "${WORKERS[@]}" --out "$p-idle-high.json" --html "$p-idle-high.html" &
    IDLE=$!
    sleep $(( N_HIGH / CONNECT_RATE + 6 ))   # inside the 10 s hold
    conns=$(internal_connections)
    wait $IDLE || { log "FAILED: harness run $p-idle-high"; exit 1; }
    rss=$(jq -en --slurpfile lo "$p-idle-low.json" --slurpfile hi "$p-idle-high.json" \
      '(($hi[0].waves[0].server.hold.rss_kib_after - $lo[0].waves[0].server.hold.rss_kib_after) * 1024
        / ($hi[0].waves[0].succeeded - $lo[0].waves[0].succeeded)) | floor') \
      || { log "FAILED: no RSS figures in $p-idle-low.json / $p-idle-high.json"; exit 1; }
    # latency at a fixed load
    RUN "$p-chat" chat --connections $CHAT_CONNECTIONS --rate $CHAT_RATE --duration $CHAT_DURATION --server-pid $PID \
      --warmup-connections 500 --out "$p-chat.json" --html "$p-chat.html"
    p50=$(FIG "$p-chat" "$p-chat.json" '.latency_us.delivery_from_intended_send.p50')
    p99=$(FIG "$p-chat" "$p-chat.json" '.latency_us.delivery_from_intended_send.p99')
    # max relayed messages/s: offer more than the box can carry, count what arrives
    RUN "$p-max" chat --connections $CHAT_CONNECTIONS --rate $MAX_RATE --duration PT10S --drain-timeout PT20S \
      --server-pid $PID --out "$p-max.json"
    maxr=$(FIG "$p-max" "$p-max.json" '.throughput.delivered_per_s')
    # reconnect storm: everyone drops at once, comes back with backoff, resuming
    RUN "$p-storm" storm --connections $STORM_CONNECTIONS --connect-rate 1000 --drop client --resume true \
      --backoff-min PT0.1S --backoff-max PT5S --deadline PT60S --server-pid $PID \
      --out "$p-storm.json" --html "$p-storm.html"
    sall=$(FIG "$p-storm" "$p-storm.json" '.storm.time_to_all_ms')
    s99=$(FIG "$p-storm" "$p-storm.json" '.storm.time_to_target_ms')
    echo "$leg,$run,$full,$resumed,$sn50,$sn99,$sd50,$sd99,$rss,$conns,$p50,$p99,$maxr,$sall,$s99" | tee -a results.csv
  done
  stop_edge
done

# --- the table: min / median / max over runs, presenter/HAProxy ratios -------------------------
python3 - "$OUT/results.csv" > results.md <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
figs = [("full_us", "server CPU µs per full handshake"), ("resumed_us", "server CPU µs per resumed handshake"),
        ("setup_nagle_p50_us", "connect to first answer p50 µs, Nagle on"), ("setup_nagle_p99_us", "connect to first answer p99 µs, Nagle on"),
        ("setup_nodelay_p50_us", "connect to first answer p50 µs, Nagle off"), ("setup_nodelay_p99_us", "connect to first answer p99 µs, Nagle off"),
        ("rss_per_conn_bytes", "RSS bytes per idle TLS connection"), ("internal_conns", "internal TCP connections at N_HIGH clients"),
        ("p50_us", "chat p50 latency µs at fixed rate"), ("p99_us", "chat p99 latency µs at fixed rate"),
        ("max_delivered_per_s", "max relayed messages/s"), ("storm_all_ms", "storm: 100% back, ms"), ("storm_99_ms", "storm: 99% back, ms")]
legs = [l for l in ["direct", "haproxy", "presenter"] if any(r["leg"] == l for r in rows)]
def vals(leg, f):
    out = []
    for r in rows:
        if r["leg"] == leg:
            try: out.append(float(r[f]))
            except (ValueError, TypeError): pass
    return out
def cell(v):
    return "n/a" if not v else f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})"
print("| figure | " + " | ".join(f"{l} median (min-max)" for l in legs) + " | presenter/HAProxy |")
print("| --- |" + " --- |" * (len(legs) + 1))
for f, name in figs:
    cells = [cell(vals(l, f)) for l in legs]
    h, p = vals("haproxy", f), vals("presenter", f)
    ratio = f"{statistics.median(p) / statistics.median(h):.2f}" if h and p and statistics.median(h) else "n/a"
    print(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
EOF
cat results.md
log "done: $OUT/results.md, per-run JSON and HTML in $OUT"
