#!/usr/bin/env bash
# Fuzzes the protocol decoders and the gateway's auth stage with Jazzer (coverage-guided, libFuzzer
# inside the JVM), one target after the other, each for a bounded time.
#
#   protocol/src/test/fuzz/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 300. TARGET is module/package.Class#method, or Class#method for
# a class in protocol's io.presenter.protocol.codec.fuzz; the default is every target below. Plain
# `mvn verify` only replays the committed seeds (regression mode); this script is where new inputs
# are searched for.
#
# Each target gets its own JVM: libFuzzer keeps its state per process, so Jazzer fuzzes only the
# first @FuzzTest a JVM meets.
#
# Where things go (under <module>/target/fuzz/, so `mvn clean` forgets them and git never sees
# them):
#   corpus/<Class>/<method>/    inputs that reached new coverage; reused by the next run
#   findings/<Class>/<method>/  crash-*, timeout-*, oom-* inputs; empty when nothing was found
#   <Class>.<method>.log        Jazzer's output, stack trace of any finding included
# To keep a finding as a regression test, give it a name that says what it is and copy it into
# <module>/src/test/resources/<package as directories>/<Class>Inputs/<method>/.
#
# Exit status: 0 if no target found anything, 1 otherwise.
set -euo pipefail

seconds=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(MuxFrameDecoderFuzzTest#decode ClientPacketDecoderFuzzTest#decode MuxFrameRoundTripFuzzTest#roundTrip
    gateway/io.presenter.gateway.client.AuthStageFuzzTest#firstPacket)
fi

root=$(cd "$(dirname "$0")/../../.." && cd .. && pwd)

# Build once (the gateway's tests need protocol's test jar); each target then runs surefire alone,
# without the rest of the lifecycle.
mvn -B -q -f "$root/pom.xml" -pl protocol,gateway -am install -DskipTests

status=0
for target in "${targets[@]}"; do
  if [[ $target != */* ]]; then
    target=protocol/io.presenter.protocol.codec.fuzz.$target
  fi
  module=${target%%/*}
  qualified=${target#*/}
  class=${qualified%#*}
  class=${class##*.}
  method=${target#*#}
  out=$root/$module/target/fuzz
  corpus=$out/corpus/$class/$method
  findings=$out/findings/$class/$method
  log=$out/$class.$method.log
  mkdir -p "$corpus" "$findings"
  before=$(find "$corpus" -type f | wc -l)
  echo "== $target: ${seconds}s, corpus $corpus ($before inputs)"

  # jazzer.internal.arg.N are libFuzzer's arguments (0 is argv[0]); Jazzer appends them after its
  # own, so these win: the corpus directory, the time limit (instead of @FuzzTest's maxDuration),
  # a per-input hang limit, and where findings go (instead of the source tree).
  # jazzer.instrument adds libthrift's protocol code and Netty's decoder base classes to the
  # coverage feedback; by default Jazzer instruments only this module's own classes.
  if ! JAZZER_FUZZ=1 mvn -B -f "$root/pom.xml" -pl "$module" surefire:test \
      -Dtest="$qualified" \
      -Dsurefire.failIfNoSpecifiedTests=false \
      -Djazzer.hooks=true \
      -Djazzer.instrument='io.presenter.**,org.apache.thrift.**,io.netty.handler.codec.**' \
      -Djazzer.internal.arg.0=fuzz \
      -Djazzer.internal.arg.1="$corpus" \
      -Djazzer.internal.arg.2=-max_total_time="$seconds" \
      -Djazzer.internal.arg.3=-timeout=10 \
      -Djazzer.internal.arg.4=-artifact_prefix="$findings/" \
      >"$log" 2>&1; then
    status=1
  fi

  after=$(find "$corpus" -type f | wc -l)
  found=$(find "$findings" -type f | wc -l)
  summary=$(grep -E '^#[0-9]+\s+DONE' "$log" | tail -1 || true)
  echo "   corpus $before -> $after inputs; findings: $found; ${summary:-no libFuzzer summary, see $log}"
  if [ "$found" -gt 0 ]; then
    status=1
    find "$findings" -type f | sed 's/^/   finding: /'
  fi
done
exit $status
