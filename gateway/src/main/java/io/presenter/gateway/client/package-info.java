/**
 * The client path: everything between a client's socket and its stream to a chat server. Read
 * {@link io.presenter.gateway.client.ClientChannelInitializer} first: its one method is the whole
 * client pipeline, top to bottom.
 *
 * <ul>
 *   <li>{@link io.presenter.gateway.client.ProxyProtocolDetector} and
 *       {@link io.presenter.gateway.client.ProxyHeaderHandler}: the PROXY protocol header of a
 *       connection through a network load balancer, and so the end client's address
 *       ({@link io.presenter.gateway.client.ClientAddress}).</li>
 *   <li>{@link io.presenter.gateway.client.AcceptRates}: the handshake rate and per-address
 *       connection rate above which connections are closed at accept.</li>
 *   <li>{@link io.presenter.gateway.client.ClientConnections}: admission (connection limits, in
 *       total and per source address) and the close reason of every client.</li>
 *   <li>{@link io.presenter.gateway.client.MaxConnectionAgeHandler}: the optional maximum
 *       connection age, jittered, closes paced ({@link io.presenter.gateway.client.ConnectionAging}).</li>
 *   <li>{@link io.presenter.gateway.client.IdleTimeoutHandler}: closes a client silent both ways.</li>
 *   <li>TLS ({@link io.presenter.gateway.tls.TlsStage}), then
 *       {@link io.presenter.gateway.client.AuthStage}: the first packet, under a cap and a
 *       deadline, names the couple; the stage builds the relay, which opens the stream, and swaps
 *       itself for it.</li>
 *   <li>{@link io.presenter.gateway.client.ClientRelay}, on the client's pipeline and as the
 *       listener of its {@link io.presenter.protocol.mux.RelayStream}: the client's bytes, unparsed, both ways
 *       with backpressure, and wrong-shard retries until the chat server has answered.</li>
 *   <li>{@link io.presenter.gateway.client.ClientMeters}: what the client path counts.</li>
 * </ul>
 *
 * <p>Where a stream goes is not decided here: the relay asks a
 * {@link io.presenter.gateway.backend.StreamOpener} (the router) for a first open and for each retry.
 */
package io.presenter.gateway.client;
