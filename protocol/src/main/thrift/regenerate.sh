#!/usr/bin/env bash
# Regenerates the committed Java for the Thrift IDL in this directory.
# Needs Debian's thrift-compiler (0.17); only structs, enums, unions and consts are used, because
# 0.17's generated service code does not compile against libthrift 0.21+.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../java"
command -v thrift >/dev/null || { echo "thrift compiler missing: apt-get install thrift-compiler" >&2; exit 1; }
rm -rf "$out/io/presenter/protocol/wire"
for idl in "$here"/*.thrift; do
  thrift --gen java:generated_annotations=suppress -out "$out" "$idl"
done
