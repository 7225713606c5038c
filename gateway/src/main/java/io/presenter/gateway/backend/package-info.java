/**
 * The presenter's side of the mux: a pool of long-lived connections per chat server and event
 * loop, and the router that opens a couple's stream at its owner on the ring. The connections are
 * plaintext by default (a private network); given a client
 * {@link io.presenter.protocol.mux.MuxTls}, {@link io.presenter.gateway.backend.BackendPool} runs
 * them over mutual TLS and hands a connection out only after its handshake.
 */
package io.presenter.gateway.backend;
