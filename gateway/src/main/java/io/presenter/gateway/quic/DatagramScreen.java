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
 *
 * <p>After an Initial it ends the codec's read batch ({@code channelReadComplete}), so that the
 * connection answers it (quiche finishes the server's handshake flight in its send) before the
 * next datagram is read. Why: a returning client sends its 0-RTT packet right behind its Initial,
 * and the two usually land in the same read batch. The server handshake pauses once on Netty's
 * certificate callback task while the Initial is received, so the 0-RTT packet arrives before its
 * key exists and quiche buffers it; quiche decrypts it inside the next send, and Netty's QUIC
 * channel (4.2.18) looks for readable streams only after a receive, so the 0-RTT session stream
 * would surface only with the client's next datagram, one round trip late.
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
        if (rejection == null || rejection == INITIAL) {
            ctx.fireChannelRead(datagram);
            if (rejection == INITIAL) {
                ctx.fireChannelReadComplete();  // answer it before the 0-RTT packet behind it is read
            }
            return;
        }
        meters.datagramRejected(rejection);
        log.debug("datagram from {} dropped: {}", datagram.sender(), rejection);
        datagram.release();
    }

    /** What {@link #screen} says of an acceptable Initial: it goes on, and ends the read batch. */
    private static final String INITIAL = "initial";

    /**
     * Null when the datagram goes on to the codec, {@link #INITIAL} when it goes on and is an
     * Initial, else why not. Throws on a header that does not parse.
     */
    private String screen(DatagramPacket datagram) throws Exception {
        String[] verdict = {null};
        parser.parse(datagram.sender(), datagram.recipient(), datagram.content(),
                (sender, recipient, packet, type, version, scid, dcid, token) -> {
                    if (type == QuicPacketType.INITIAL && packet.readableBytes() < MIN_INITIAL_DATAGRAM) {
                        verdict[0] = "short_initial";
                    } else if (type != QuicPacketType.SHORT && version != 0 && !Quic.isVersionSupported((int) version)) {
                        meters.datagramRejected("version_negotiation");  // answered by the codec, counted here
                    } else if (type == QuicPacketType.INITIAL) {
                        verdict[0] = INITIAL;
                    }
                });
        return verdict[0];
    }
}
