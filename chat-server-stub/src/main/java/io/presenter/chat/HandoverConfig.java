package io.presenter.chat;

import java.time.Duration;
import java.util.Objects;

/**
 * How this chat server hands couples over to their new owner under the clients' open connections
 * (instead of resetting their streams SHARD_MOVED), and takes them in.
 *
 * @param key the HMAC-SHA256 key every chat server of the fleet shares, at least 32 bytes, and that
 *     presenters must never have: it authenticates the session state presenters carry between
 *     chat servers. Null turns handover off (streams of a moving couple are reset as before).
 * @param timeout how long the old owner waits for a stream's accepted bytes to reach the presenter
 *     before it gives up the handover and resets the stream SHARD_MOVED
 * @param partnerWait how long the new owner keeps deliveries for a partner whose handover has not
 *     arrived yet; then they are dropped (counted) and the partner reconnects as after a reset
 * @param maxStateBytes largest sealed session state sent or accepted; larger falls back to a reset
 * @param maxAge oldest sealed state the new owner accepts (a replayed ticket is refused)
 */
public record HandoverConfig(byte[] key, Duration timeout, Duration partnerWait, int maxStateBytes, Duration maxAge) {

    /** Generous: on a starved machine (load 40 on 2 cores) a handover has taken 20-40 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Longer than a handover may take before either side gives up (the old owner's timeout, then
     * the presenter's): a partner still on its way within that time gets every delivery.
     */
    public static final Duration DEFAULT_PARTNER_WAIT = Duration.ofSeconds(90);
    public static final int DEFAULT_MAX_STATE_BYTES = 4096;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(120);
    public static final int MIN_KEY_BYTES = 32;

    /** Handover off: moved couples are reset as before. */
    public static final HandoverConfig OFF = new HandoverConfig(null, DEFAULT_TIMEOUT, DEFAULT_PARTNER_WAIT,
            DEFAULT_MAX_STATE_BYTES, DEFAULT_MAX_AGE);

    public HandoverConfig {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(partnerWait, "partnerWait");
        Objects.requireNonNull(maxAge, "maxAge");
        if (key != null && key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("handover key has " + key.length + " bytes, at least "
                    + MIN_KEY_BYTES + " are needed");
        }
        if (maxStateBytes < 64) {
            throw new IllegalArgumentException("maxStateBytes " + maxStateBytes + " < 64");
        }
    }

    /** Handover on with {@code key} and default limits. */
    public static HandoverConfig withKey(byte[] key) {
        return new HandoverConfig(key.clone(), DEFAULT_TIMEOUT, DEFAULT_PARTNER_WAIT, DEFAULT_MAX_STATE_BYTES,
                DEFAULT_MAX_AGE);
    }

    public HandoverConfig withMaxStateBytes(int bytes) {
        return new HandoverConfig(key, timeout, partnerWait, bytes, maxAge);
    }

    public HandoverConfig withPartnerWait(Duration value) {
        return new HandoverConfig(key, timeout, value, maxStateBytes, maxAge);
    }

    public HandoverConfig withTimeout(Duration value) {
        return new HandoverConfig(key, value, partnerWait, maxStateBytes, maxAge);
    }

    public boolean enabled() {
        return key != null;
    }
}
