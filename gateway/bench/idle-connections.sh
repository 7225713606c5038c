#!/usr/bin/env bash
# Memory per idle TLS client connection and CPU per handshake of a real presenter process, at
# N connections (default 10000): a ZooKeeper, one chat-server stub, the presenter with native
# memory tracking, and the load harness's `connect` scenario holding N idle authenticated clients.
# Prints the presenter's RSS, live heap after a full GC and NMT's committed native memory before
# and with the clients, per connection, and the internal (mux) connection count.
#
#   gateway/bench/idle-connections.sh [connections] [--groups X25519,P-256]
#
# Needs the jars: mvn -B -q -DskipTests package. Uses ports 2181, 7100, 7444, 8443, 9090.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
GROUPS_SET=()
if [[ "${2:-}" == "--groups" ]]; then GROUPS_SET=(--set "tls.groups=$3"); fi
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
  -out "$WORK/cert.pem" -days 2 -subj /CN=localhost 2>/dev/null
echo "k1 = $(head -c 32 /dev/urandom | base64)" > "$WORK/tokens.keys"

java -cp gateway/target/presenter.jar io.presenter.ring.EmbeddedZooKeeper 2181 "$WORK/zk" > "$WORK/zk.log" 2>&1 &
PIDS+=($!)
java -jar chat-server-stub/target/chat-server.jar --id chat-1 --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  --token-keys "$WORK/tokens.keys" --zookeeper 127.0.0.1:2181 --direct-port 7444 --mux-port 7100 \
  > "$WORK/chat.log" 2>&1 &
PIDS+=($!)
java -XX:NativeMemoryTracking=summary -Xms256m -Xmx1g -jar gateway/target/presenter.jar run \
  --set listen.address=127.0.0.1 --set listen.port=8443 --set listen.event-loops=2 \
  --set tls.certificates="$WORK/cert.pem:$WORK/key.pem" --set auth.token-key-file="$WORK/tokens.keys" \
  --set zookeeper.connect=127.0.0.1:2181 --set limits.max-connections-per-ip=0 "${GROUPS_SET[@]}" \
  > "$WORK/presenter.log" 2>&1 &
PRESENTER=$!
PIDS+=($PRESENTER)
for _ in $(seq 1 120); do
  curl -fs http://127.0.0.1:9090/ready >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs http://127.0.0.1:9090/ready || { for f in "$WORK"/*.log; do echo "== $f"; tail -n 20 "$f"; done; exit 1; }

snapshot() {  # rss_kib heap_live_kib nmt_committed_kib
  jcmd "$PRESENTER" GC.run >/dev/null
  local rss heap nmt
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$PRESENTER/status")
  heap=$(jcmd "$PRESENTER" GC.heap_info | awk '/used/ {for (i=1;i<=NF;i++) if ($i=="used") {gsub("K","",$(i+1)); print $(i+1); exit}}')
  nmt=$(jcmd "$PRESENTER" VM.native_memory summary | awk '/^Total:/ {for (i=1;i<=NF;i++) if ($i ~ /^committed=/) {gsub("committed=|KB","",$i); print $i}}')
  echo "$rss $heap $nmt"
}

# Warm up: one wave of connections so code paths, pools and caches exist before the baseline.
java -jar loadtest/target/loadtest.jar connect --quiet --target 127.0.0.1:8443 --token-keys "$WORK/tokens.keys" \
  --connections 2000 --connect-rate 2000 --hold PT1S --resumption OFF --out "$WORK/warmup.json" >/dev/null
read -r RSS0 HEAP0 NMT0 < <(snapshot)
CPU0=$(awk '{print $14 + $15}' "/proc/$PRESENTER/stat")

java -jar loadtest/target/loadtest.jar connect --target 127.0.0.1:8443 --token-keys "$WORK/tokens.keys" \
  --connections "$N" --connect-rate 1000 --hold PT40S --resumption OFF --source-addresses 127.0.0.1-127.0.0.4 \
  --server-pid "$PRESENTER" --out "$WORK/connect.json" > "$WORK/connect.out" 2>&1 &
LOAD=$!
for _ in $(seq 1 200); do
  ACTIVE=$(curl -fs http://127.0.0.1:9090/metrics | awk '/^presenter_connections_active / {print int($2)}')
  [[ "${ACTIVE:-0}" -ge "$N" ]] && break
  sleep 0.5
done
CPU1=$(awk '{print $14 + $15}' "/proc/$PRESENTER/stat")
read -r RSS1 HEAP1 NMT1 < <(snapshot)
INTERNAL=$(curl -fs http://127.0.0.1:9090/metrics | awk '/^presenter_backend_connections / {print int($2)}')
wait $LOAD || true
TICK=$(getconf CLK_TCK)

echo "connections held:          $ACTIVE"
echo "internal mux connections:  $INTERNAL"
awk -v n="$ACTIVE" -v r0="$RSS0" -v r1="$RSS1" -v h0="$HEAP0" -v h1="$HEAP1" -v m0="$NMT0" -v m1="$NMT1" \
    -v c0="$CPU0" -v c1="$CPU1" -v tick="$TICK" 'BEGIN {
  printf "RSS per connection:        %.2f KiB (%d -> %d KiB)\n", (r1-r0)/n, r0, r1
  printf "live heap per connection:  %.2f KiB (%d -> %d KiB, after full GC)\n", (h1-h0)/n, h0, h1
  printf "NMT committed per conn:    %.2f KiB (heap reservation growth included)\n", (m1-m0)/n
  printf "presenter CPU per connect: %.0f us (accept + full TLS handshake + auth + stream open)\n", (c1-c0)/tick/n*1e6
}'
grep -E "handshakes|full|resumed|failed" "$WORK/connect.out" | head -8 || true
