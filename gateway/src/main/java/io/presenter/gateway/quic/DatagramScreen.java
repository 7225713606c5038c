package io.presenter.gateway.quic;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicHeaderParser;
import io.netty.handler.codec.quic.QuicPacketType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits in front of the QUIC codec on the UDP channel and looks at each datagram's header only:
 * what is not QUIC at all ({@code garbage}) and Initials too short to be honest ({@code
 * short_initial}: RFC 9000 14.1 makes clients pad them to 1200 bytes, so a short one is either
 * broken or an amplification attempt) are dropped here and counted, without touching any
 * connection. A long header with a version quiche does not speak is counted
 * ({@code version_negotiation}) and passed on: the codec answers it with a Version Negotiation
 * packet, statelessly.
 */
@ChannelHandler.Sharable
final class DatagramScreen extends ChannelInboundHandlerAdapter {

    static final String NAME = "quic-screen";
    /** RFC 9000 14.1: the smallest UDP payload a client's Initial may travel in. */
    static final int MIN_INITIAL_DATAGRAM = 1200;

    private static final Logger log = LoggerFactory.getLogger(DatagramScreen.class);

    private final QuicMeters meters;
    private final QuicHeaderParser parser = new QuicHeaderParser(Quic.MAX_CONN_ID_LEN);

    DatagramScreen(QuicMeters meters) {
        this.meters = meters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof DatagramPacket datagram)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String rejection;
        try {
            rejection = screen(datagram);
        } catch (Exception | AssertionError notQuic) {
            rejection = "garbage";
        }
        if (rejection == null) {
            ctx.fireChannelRead(datagram);
            return;
        }
        meters.datagramRejected(rejection);
        log.debug("datagram from {} dropped: {}", datagram.sender(), rejection);
        datagram.release();
    }

    /** Null when the datagram goes on to the codec, else why not. Throws on a header that does not parse. */
    private String screen(DatagramPacket datagram) throws Exception {
        String[] verdict = {null};
        parser.parse(datagram.sender(), datagram.recipient(), datagram.content(),
                (sender, recipient, packet, type, version, scid, dcid, token) -> {
                    if (type == QuicPacketType.INITIAL && packet.readableBytes() < MIN_INITIAL_DATAGRAM) {
                        verdict[0] = "short_initial";
                    } else if (type != QuicPacketType.SHORT && version != 0 && !Quic.isVersionSupported((int) version)) {
                        meters.datagramRejected("version_negotiation");  // answered by the codec, counted here
                    }
                });
        return verdict[0];
    }
}
