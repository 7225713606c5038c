package io.presenter.gateway.client;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The end client's address of a client connection: the socket's peer, or, behind a load balancer
 * speaking the PROXY protocol, the address its header names. Per-address limits, log lines and the
 * stream's client address all read it from here, never from {@link Channel#remoteAddress()}.
 */
final class ClientAddress {

    private static final AttributeKey<InetSocketAddress> END_CLIENT =
            AttributeKey.valueOf(ClientAddress.class, "endClient");

    private ClientAddress() {}

    /** Records the address a PROXY header named for {@code client}. */
    static void set(Channel client, InetSocketAddress endClient) {
        client.attr(END_CLIENT).set(endClient);
    }

    /** The end client's address: the one a PROXY header named, else the socket's peer (null for an in-VM channel). */
    static SocketAddress of(Channel client) {
        InetSocketAddress proxied = client.attr(END_CLIENT).get();
        return proxied != null ? proxied : client.remoteAddress();
    }
}
