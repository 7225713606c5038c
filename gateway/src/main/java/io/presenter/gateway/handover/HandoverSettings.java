package io.presenter.gateway.handover;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a presenter hands its client listener to a successor on the same host.
 *
 * @param socket the Unix socket the listener is passed over, or null for no handover
 * @param drainWindow after the handover, the old process closes its clients spread over this window
 */
public record HandoverSettings(Path socket, Duration drainWindow) {

    public HandoverSettings {
        if (drainWindow.isNegative() || drainWindow.isZero()) {
            throw new IllegalArgumentException("handover.drain-window must be positive, got " + drainWindow);
        }
    }

    public static HandoverSettings none() {
        return new HandoverSettings(null, Duration.ofHours(4));
    }

    public boolean enabled() {
        return socket != null;
    }
}
