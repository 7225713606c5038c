package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.protocol.transport.TransportChoice;
import org.junit.jupiter.api.Test;

/**
 * {@link PostHandshakeFlightTest} with the presenter on io_uring ({@code listen.transport: io_uring}):
 * the TLS 1.3 tickets go out at once, and a resumed TLS 1.2 handshake gets its ACK at once
 * ({@code TCP_QUICKACK} through io_uring's own channel option, not epoll's).
 */
class PostHandshakeFlightOnIoUringTest extends PostHandshakeFlightTest {

    @Override
    protected TransportChoice transport() {
        return TransportChoice.IO_URING;
    }

    @Test
    void thePresenterRunsOnIoUring() {
        assertThat(presenter.transport().name()).isEqualTo("io_uring");
    }
}
