#!/usr/bin/env bash
# Where a profile's CPU went, from async-profiler's collapsed stacks ("thread;frame;...;leaf count",
# recorded with the `threads` option): the samples of THREADS (default: the event loops) by
# library (the leaf frame's: BoringSSL, kernel, Java by package), their top leaf frames, and the
# project's and Netty's frames by inclusive share.
#
#   gateway/bench/stacks-top.sh profile.collapsed [count]
set -euo pipefail
python3 - "$1" "${2:-20}" "${THREADS:-multiThreadIoEventLoop}" <<'PY'
import collections, sys
path, top, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
total = 0
library, leaf, inclusive = collections.Counter(), collections.Counter(), collections.Counter()

def kind(frame):
    if "tcnative" in frame:
        return "BoringSSL (netty-tcnative)"
    if frame.endswith("_[k]"):
        return "kernel"
    parts = frame.split("/")
    if len(parts) > 2 and not frame.startswith("/"):
        return "Java " + ".".join(parts[:3 if parts[0] in ("io", "org", "com") else 2])
    return "other native"

for line in open(path):
    stack, _, count = line.rstrip("\n").rpartition(" ")
    frames = stack.split(";")
    if threads not in frames[0]:
        continue
    n = int(count)
    total += n
    library[kind(frames[-1])] += n
    leaf[frames[-1]] += n
    for frame in set(frames[1:]):
        if frame.startswith("io/presenter") or frame.startswith("io/netty/handler/ssl/SslHandler.") \
                or frame.startswith("io/netty/channel/Default"):
            inclusive[frame] += n
if total == 0:
    sys.exit("no samples of threads named *%s* in %s" % (threads, path))
print("samples of %s threads: %d" % (threads, total))
print("by library (leaf frame), %% of those samples:")
for name, n in library.most_common(top):
    print("  %5.1f%%  %s" % (100.0 * n / total, name))
print("top leaf frames:")
for name, n in leaf.most_common(top):
    print("  %5.1f%%  %s" % (100.0 * n / total, name[:140]))
print("the project's frames, SslHandler's and Netty's pipeline, inclusive:")
for name, n in inclusive.most_common(top):
    print("  %5.1f%%  %s" % (100.0 * n / total, name[:140]))
PY
