package io.presenter.gateway.quic;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.quic.QuicStreamChannel;

/** Hands each stream a client opens to its connection's {@link QuicConnectionHandler}. */
@ChannelHandler.Sharable
final class QuicStreamInitializer extends ChannelInitializer<QuicStreamChannel> {

    @Override
    protected void initChannel(QuicStreamChannel stream) {
        QuicConnectionHandler connection = stream.parent().pipeline().get(QuicConnectionHandler.class);
        if (connection == null) {
            stream.close();  // the connection was refused at admission and is closing
            return;
        }
        connection.streamOpened(stream);
    }
}
