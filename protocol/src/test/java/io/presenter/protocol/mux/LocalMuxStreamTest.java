package io.presenter.protocol.mux;

/** {@link AbstractMuxStreamTest} over Netty's in-VM {@code LocalChannel}. */
class LocalMuxStreamTest extends AbstractMuxStreamTest {

    @Override
    MuxPair.Transport transport() {
        return MuxPair.Transport.LOCAL;
    }
}
