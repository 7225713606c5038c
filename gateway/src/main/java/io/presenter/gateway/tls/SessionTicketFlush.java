package io.presenter.gateway.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.internal.tcnative.Buffer;
import io.netty.internal.tcnative.SSL;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the client's last handshake flight at once, so that a client with Nagle's algorithm on
 * never waits for a delayed ACK before its auth packet leaves: a TLS 1.3 connection's session
 * tickets go out the moment its handshake is done, instead of with the presenter's first answer,
 * and a resumed TLS 1.2 handshake gets an immediate ACK.
 *
 * <p>Why: BoringSSL queues the NewSessionTicket messages after the client's Finished but writes
 * them only on the next {@code SSL_write} (a choice for servers that never write; see its
 * {@code do_send_new_session_ticket}), and the presenter writes nothing until the chat server
 * answers the auth packet. So after its Finished the client got nothing back, not even an ACK (the
 * kernel delays that, hoping to piggyback it on data). A client with Nagle's algorithm on (many
 * mobile and scripting stacks) then holds its auth packet until that delayed ACK comes: about 40 ms
 * per connection on Linux. Sending the tickets at once carries the ACK, and gives the client its
 * tickets even if the connection dies before the first answer (it resumes next time).
 *
 * <p>How: a zero-length {@code SSL_write} is BoringSSL's documented way to flush the queued flight;
 * it lands in the engine's non-application buffer, and {@code wrap} of an empty buffer moves it
 * out. Netty's {@code SslHandler} never calls {@code SSL_write} for empty buffers, hence the direct
 * call, on the event loop, holding the engine's lock as the engine's own methods do. The bytes go
 * to the socket below the {@code SslHandler}, which at this point has nothing of its own queued.
 *
 * <p>TLS 1.2 sends its ticket inside the handshake, and in a full handshake the server speaks last,
 * so the client's data waits for nothing. A resumed TLS 1.2 handshake ends with the client's
 * Finished and the server has nothing to send, which is the same 40 ms wait (measured: a Nagle-on
 * client's auth-to-answer p50 47 ms against 8.7 ms with Nagle off); there {@code TCP_QUICKACK}
 * makes the kernel send the ACK it was holding for the Finished. The JDK engine sends TLS 1.3
 * tickets itself: nothing to do for it.
 *
 * <p>Placed right after the {@code SslHandler}; removes itself at the end of the handshake, so an
 * established connection carries nothing of it.
 */
@Sharable
public final class SessionTicketFlush extends ChannelInboundHandlerAdapter {

    /** Pipeline name of this handler. */
    public static final String NAME = "tls-session-tickets";

    private static final Logger log = LoggerFactory.getLogger(SessionTicketFlush.class);

    /** {@code SSL_write} needs a non-null buffer even for zero bytes; never read. */
    private static final ByteBuffer NO_DATA = ByteBuffer.allocateDirect(1);
    private static final long NO_DATA_ADDRESS = Buffer.address(NO_DATA);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    /** Room for BoringSSL's usual two tickets in one buffer (about 500 bytes with our sessions). */
    static final int FLIGHT_BUFFER_BYTES = 2048;
    /**
     * Rounds of write-then-drain: the engine's non-application buffer
     * ({@value ServerTlsContextFactory#BIO_NON_APPLICATION_BUFFER_SIZE} bytes) holds less than the
     * flight (two tickets: about 430 bytes, two rounds), so as many rounds as fill the flight
     * buffer; what is still queued after them goes out with the first answer, as before.
     */
    private static final int MAX_ROUNDS =
            FLIGHT_BUFFER_BYTES / ServerTlsContextFactory.BIO_NON_APPLICATION_BUFFER_SIZE + 1;

    /** Stateless: one instance serves every connection. */
    public static final SessionTicketFlush INSTANCE = new SessionTicketFlush();

    private SessionTicketFlush() {}

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent completion) {
            ctx.pipeline().remove(this);
            if (completion.isSuccess()) {
                answerLastFlight(ctx);
            }
        }
        super.userEventTriggered(ctx, event);
    }

    private static void answerLastFlight(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null || !(ssl.engine() instanceof ReferenceCountedOpenSslEngine engine)) {
            return;
        }
        String protocol = engine.getSession().getProtocol();
        if ("TLSv1.3".equals(protocol)) {
            flushTickets(ctx, ssl, engine);
        } else if (TlsHandshakeMetrics.isResumed(engine, 0)) {
            acknowledgeNow(ctx.channel());
        }
    }

    /**
     * Sends the ACK the kernel holds back for the client's Finished. Linux only (epoll, io_uring, or the
     * JDK's extended option on NIO); elsewhere the option is refused and the client waits as before.
     */
    private static void acknowledgeNow(Channel channel) {
        try {
            if (channel instanceof EpollSocketChannel) {
                channel.config().setOption(EpollChannelOption.TCP_QUICKACK, true);
            } else if (channel instanceof IoUringSocketChannel) {
                channel.config().setOption(IoUringChannelOption.TCP_QUICKACK, true);
            } else if (channel instanceof NioSocketChannel) {
                channel.config().setOption(NioChannelOption.of(ExtendedSocketOptions.TCP_QUICKACK), true);
            }
        } catch (RuntimeException e) {
            log.debug("TLS: no TCP_QUICKACK on {}: {}", channel, e.toString());
        }
    }

    private static void flushTickets(ChannelHandlerContext ctx, SslHandler ssl, ReferenceCountedOpenSslEngine engine) {
        ByteBuf flight = ctx.alloc().directBuffer(FLIGHT_BUFFER_BYTES);
        try {
            synchronized (engine) {
                for (int round = 0; round < MAX_ROUNDS; round++) {
                    long pointer = engine.sslPointer();
                    if (pointer == 0 || engine.isOutboundDone()) {
                        break;
                    }
                    // >= 0: all queued handshake bytes are in the BIO; < 0: its buffer was full.
                    boolean complete = SSL.writeToSSL(pointer, NO_DATA_ADDRESS, 0) >= 0;
                    int produced = drain(engine, flight);
                    if (complete || produced == 0) {
                        break;
                    }
                }
            }
        } catch (SSLException | RuntimeException e) {
            // Never fatal: the tickets then go out with the first answer, as BoringSSL intends.
            log.debug("TLS: could not send the session tickets early on {}: {}", ctx.channel(), e.toString());
        }
        if (flight.isReadable()) {
            ChannelHandlerContext belowTls = ctx.pipeline().context(ssl);
            belowTls.writeAndFlush(flight, belowTls.voidPromise());
        } else {
            flight.release();
        }
    }

    /** Moves what the engine holds for the network into {@code flight}; returns the byte count. */
    private static int drain(ReferenceCountedOpenSslEngine engine, ByteBuf flight) throws SSLException {
        int total = 0;
        while (flight.isWritable()) {
            ByteBuffer dst = flight.nioBuffer(flight.writerIndex(), flight.writableBytes());
            SSLEngineResult result = engine.wrap(EMPTY, dst);
            if (result.bytesProduced() == 0) {
                break;
            }
            flight.writerIndex(flight.writerIndex() + result.bytesProduced());
            total += result.bytesProduced();
        }
        return total;
    }
}
