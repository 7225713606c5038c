package io.presenter.gateway.drain;

import java.time.Duration;

/**
 * How a presenter drains.
 *
 * @param quietPeriod exit once no client is left and none has connected for this long
 * @param maxTime after this long draining, the remaining clients are closed
 * @param closeRate clients closed per second once {@code maxTime} has passed
 */
public record DrainSettings(Duration quietPeriod, Duration maxTime, int closeRate) {

    public DrainSettings {
        if (quietPeriod.isNegative() || maxTime.isNegative() || maxTime.isZero() || closeRate < 1) {
            throw new IllegalArgumentException("drain: quiet period " + quietPeriod + ", max time " + maxTime
                    + ", close rate " + closeRate);
        }
    }
}
