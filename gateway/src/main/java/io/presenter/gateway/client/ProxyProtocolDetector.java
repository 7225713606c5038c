package io.presenter.gateway.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.util.List;

/**
 * First handler of a client pipeline on a PROXY protocol listener: looks at the first bytes (12 at
 * most) and, when they start a PROXY v1 or v2 header, replaces itself with Netty's
 * {@link HAProxyMessageDecoder}, which decodes the header, hands the {@code HAProxyMessage} to the
 * {@link ProxyHeaderHandler} and removes itself. When they do not (a TLS ClientHello, say), it
 * tells the header handler with {@link ProxyHeaderHandler#NO_HEADER} and removes itself.
 *
 * <p>Either way the bytes read so far are not lost: {@link ByteToMessageDecoder#handlerRemoved}
 * passes them to the handler that follows at that moment (the decoder that replaced this one, or
 * the TLS stage the header handler installed). Telling a missing header from a malformed one is
 * why this runs before the decoder: the decoder alone reports both as the same exception.
 */
final class ProxyProtocolDetector extends ByteToMessageDecoder {

    static final String NAME = "proxy-detect";
    /** Pipeline name of the PROXY header decoder that replaces the detector. */
    static final String DECODER = "proxy-decoder";
    /**
     * Cap on a v2 header's TLVs: balancers add a few (AWS: the VPC endpoint id, tens of bytes);
     * Netty's default would take up to 64 KiB per connection before TLS.
     */
    static final int MAX_TLV_BYTES = 1024;

    ProxyProtocolDetector() {
        setSingleDecode(true);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ProtocolDetectionResult<HAProxyProtocolVersion> detected = HAProxyMessageDecoder.detectProtocol(in);
        switch (detected.state()) {
            case NEEDS_MORE_DATA -> { }
            case DETECTED -> ctx.pipeline().replace(this, DECODER, new HAProxyMessageDecoder(MAX_TLV_BYTES));
            case INVALID -> {
                ctx.fireUserEventTriggered(ProxyHeaderHandler.NO_HEADER);
                if (!ctx.isRemoved()) {
                    ctx.pipeline().remove(this);
                }
            }
        }
    }
}
