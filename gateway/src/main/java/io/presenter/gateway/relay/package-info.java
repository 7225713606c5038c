/**
 * The relay: a client's bytes, unparsed, between its TLS socket and its stream, with backpressure
 * both ways and wrong-shard retries until the chat server has answered.
 */
package io.presenter.gateway.relay;
