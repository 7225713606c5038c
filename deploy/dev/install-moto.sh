#!/usr/bin/env bash
# Installs moto's Route53 server (moto_server), which the Route53 weight tests run against, for
# the current user: pip's --user scheme (~/.local/bin). Installs Debian's python3-pip first if pip
# is missing. Prints the moto_server path. Used by .ci/run and, when moto_server is not on PATH,
# by the tests themselves (MotoServerExtension).
set -euo pipefail
MOTO='moto[server]==5.2.1'
if command -v moto_server >/dev/null 2>&1; then command -v moto_server; exit 0; fi
if [[ -x "$HOME/.local/bin/moto_server" ]]; then echo "$HOME/.local/bin/moto_server"; exit 0; fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-pip >&2
fi
# Debian marks its Python as externally managed (PEP 668); a --user install does not touch it.
python3 -m pip install --quiet --user "$MOTO" >&2 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages "$MOTO" >&2
if command -v moto_server >/dev/null 2>&1; then command -v moto_server; else echo "$HOME/.local/bin/moto_server"; fi
