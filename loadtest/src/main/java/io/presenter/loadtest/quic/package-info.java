/**
 * The harness's QUIC side, public so that the gateway's tests use the same client: a client
 * endpoint that opens presenter sessions over QUIC (ALPN {@code presenter/1}, 0-RTT when it holds
 * a ticket) and a UDP relay that adds delay and can rebind its upstream port (a NAT rebinding, as
 * a phone moving from Wi-Fi to cellular looks to the server).
 */
package io.presenter.loadtest.quic;
