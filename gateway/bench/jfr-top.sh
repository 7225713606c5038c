#!/usr/bin/env bash
# Top frames of a JFR recording: execution samples by top frame and by the first frame in
# io.presenter / io.netty, and allocation samples (weight) by allocating frame and by class.
#
#   gateway/bench/jfr-top.sh recording.jfr [count]
set -euo pipefail
JFR=$1
TOP=${2:-25}
jfr print --json --events jdk.ExecutionSample,jdk.ObjectAllocationSample --stack-depth 64 "$JFR" | python3 -c '
import json, sys, collections
top = int(sys.argv[1])
events = json.load(sys.stdin)["recording"]["events"]
def name(f):
    m = f["method"]
    return "%s.%s" % (m["type"]["name"], m["name"])
exec_top, exec_ours, alloc_frame, alloc_class = (collections.Counter() for _ in range(4))
samples = 0; alloc_total = 0
for e in events:
    v = e["values"]; frames = (v.get("stackTrace") or {}).get("frames") or []
    if e["type"] == "jdk.ExecutionSample":
        samples += 1
        if frames:
            exec_top[name(frames[0])] += 1
        for f in frames:
            n = name(f)
            if n.startswith("io.presenter") or n.startswith("io.netty.handler") or n.startswith("io.netty.channel.epoll"):
                exec_ours[n] += 1
                break
    else:
        w = v.get("weight", 0); alloc_total += w
        alloc_class[v["objectClass"]["name"]] += w
        if frames:
            # the first frame outside the JDK says who asked
            who = next((name(f) for f in frames if not name(f).startswith(("java.", "jdk.", "sun."))), name(frames[0]))
            alloc_frame[who] += w
def show(title, counter, total, unit):
    print("== %s (total %s %s)" % (title, total, unit))
    for k, c in counter.most_common(top):
        print("%6.1f%%  %s" % (100.0 * c / max(total, 1), k))
show("execution samples by top frame", exec_top, samples, "samples")
show("execution samples by first presenter/netty handler frame", exec_ours, samples, "samples")
show("allocation (sampled weight) by first non-JDK frame", alloc_frame, alloc_total, "bytes")
show("allocation (sampled weight) by class", alloc_class, alloc_total, "bytes")
' "$TOP"
