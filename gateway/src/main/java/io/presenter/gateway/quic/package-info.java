/**
 * The QUIC edge (issue 19): a UDP listener beside the TCP one whose connections each carry one
 * client session on one bidirectional stream, with exactly the client protocol's bytes. Below the
 * stream: QUIC and its TLS 1.3 (Netty's quiche codec), address validation with Retry tokens under
 * load ({@link io.presenter.gateway.quic.RetryTokens}), a screen that counts garbage and
 * unsupported versions ({@link io.presenter.gateway.quic.DatagramScreen}), the one-session rule
 * ({@link io.presenter.gateway.quic.QuicConnectionHandler}) and the 0-RTT rule
 * ({@link io.presenter.gateway.quic.EarlyDataGate}). From the auth stage on the stream enters the
 * client path through {@link io.presenter.gateway.client.ClientSessions}: same auth, ring, mux
 * streams, limits, drain and load accounting as a TCP client.
 */
package io.presenter.gateway.quic;
