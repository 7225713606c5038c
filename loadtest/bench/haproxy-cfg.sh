#!/usr/bin/env bash
# The HAProxy configuration the benchmarks compare the presenter with, as its users run it: TCP
# mode, 2 threads, one frontend on loopback and one backend server, on standard output.
#
#   loadtest/bench/haproxy-cfg.sh LISTEN_PORT SERVER_PORT [BIND_OPTIONS [SERVER_OPTIONS]]
#
# BIND_OPTIONS: "ssl crt file.pem" terminates TLS (empty: passthrough); SERVER_OPTIONS: "ssl verify
# none" re-encrypts towards the server (empty: plaintext).
set -euo pipefail
cat <<CFG
global
    maxconn 9500   # 2 fds per proxied connection: stays under the 20000 open-file limit
    nbthread 2
    tune.ssl.default-dh-param 2048
    ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
frontend clients
    bind 127.0.0.1:$1 ${3:-}
    default_backend chat
backend chat
    server chat1 127.0.0.1:$2 ${4:-} maxconn 9500
CFG
