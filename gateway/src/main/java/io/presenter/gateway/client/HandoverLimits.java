package io.presenter.gateway.client;

import java.time.Duration;

/**
 * What the presenter spends on carrying a session to a couple's new owner (issue 18): the client
 * bytes it keeps for a replay, how long it waits for the new stream, how large a sealed state it
 * carries. Exceeding any of them is a counted fallback ({@code presenter.handovers{result=fallback_*}}):
 * the client is closed and reconnects, as without handover.
 *
 * @param replaySlackBytes client bytes kept before the chat server's credited offset (the largest
 *     client packet a chat server may hold partly read); a handover whose consumed count lies
 *     further back falls back ({@code replay_lost})
 * @param replayMaxBytes client bytes kept at most per client; past it the relay stops keeping
 *     them and a later handover falls back ({@code replay_lost})
 * @param timeout longest time from a handover frame to the stream at the new owner being open
 *     ({@code timeout})
 * @param maxStateBytes largest sealed state carried to a new owner ({@code state_too_large})
 */
public record HandoverLimits(int replaySlackBytes, int replayMaxBytes, Duration timeout, int maxStateBytes) {

    public static final int DEFAULT_REPLAY_SLACK_BYTES = 64 * 1024;
    /** Stream window + write buffer + slack, with room to spare. */
    public static final int DEFAULT_REPLAY_MAX_BYTES = 512 * 1024;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_STATE_BYTES = 16 * 1024;
    public static final HandoverLimits DEFAULTS = new HandoverLimits(DEFAULT_REPLAY_SLACK_BYTES,
            DEFAULT_REPLAY_MAX_BYTES, DEFAULT_TIMEOUT, DEFAULT_MAX_STATE_BYTES);

    public HandoverLimits {
        if (replaySlackBytes < 0 || replayMaxBytes < replaySlackBytes || maxStateBytes < 0
                || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("handover limits: replay slack " + replaySlackBytes + ", replay max "
                    + replayMaxBytes + " (not below the slack), timeout " + timeout + ", max state " + maxStateBytes);
        }
    }

    public HandoverLimits withMaxStateBytes(int value) {
        return new HandoverLimits(replaySlackBytes, replayMaxBytes, timeout, value);
    }

    public HandoverLimits withTimeout(Duration value) {
        return new HandoverLimits(replaySlackBytes, replayMaxBytes, value, maxStateBytes);
    }
}
