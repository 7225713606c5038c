/**
 * The presenter's side of the mux: a pool of long-lived connections per chat server and event
 * loop, and the router, the {@link io.presenter.gateway.backend.StreamOpener} that decides where
 * each of a client's streams goes (first open or retry) and opens it. The connections are
 * plaintext by default ({@link io.presenter.gateway.backend.BackendTls#PLAINTEXT}, a private
 * network); with {@link io.presenter.gateway.backend.BackendTls#mutual},
 * {@link io.presenter.gateway.backend.BackendPool} runs them over mutual TLS and hands a connection
 * out only after its handshake.
 */
package io.presenter.gateway.backend;
