package io.presenter.protocol.mux;

/** {@link AbstractMuxStreamTest} over real TCP sockets on 127.0.0.1 (NIO). */
class TcpMuxStreamTest extends AbstractMuxStreamTest {

    @Override
    MuxPair.Transport transport() {
        return MuxPair.Transport.TCP;
    }
}
