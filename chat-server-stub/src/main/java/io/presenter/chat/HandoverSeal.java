package io.presenter.chat;

import io.presenter.protocol.mux.SessionHandover;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a {@link HandoverState} for the trip through a presenter, and opens one: HMAC-SHA256 over
 * a domain label and the state bytes, with the key only chat servers share. A presenter (or a
 * client) can carry a ticket but not make or alter one.
 */
final class HandoverSeal {

    private static final byte[] DOMAIN = "presenter-handover-v1\0".getBytes(StandardCharsets.US_ASCII);

    private final HandoverConfig config;
    private final ThreadLocal<Mac> mac;

    HandoverSeal(HandoverConfig config) {
        this.config = config;
        SecretKeySpec key = config.enabled() ? new SecretKeySpec(config.key(), "HmacSHA256") : null;
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        });
    }

    HandoverConfig config() {
        return config;
    }

    SessionHandover seal(HandoverState state) {
        byte[] bytes = state.encode();
        return new SessionHandover(bytes, mac(bytes));
    }

    /**
     * The state in {@code ticket}, or throws {@link Refused} with a metric tag: {@code disabled},
     * {@code too_large}, {@code forged}, {@code malformed}, {@code expired}.
     */
    HandoverState open(SessionHandover ticket, long nowMillis) throws Refused {
        if (!config.enabled()) {
            throw new Refused("disabled");
        }
        if (ticket.size() > config.maxStateBytes()) {
            throw new Refused("too_large");
        }
        if (!MessageDigest.isEqual(mac(ticket.state()), ticket.mac())) {
            throw new Refused("forged");
        }
        HandoverState state;
        try {
            state = HandoverState.decode(ticket.state());
        } catch (IOException e) {
            throw new Refused("malformed");
        }
        if (nowMillis - state.sealedAtMillis() > config.maxAge().toMillis()) {
            throw new Refused("expired");
        }
        return state;
    }

    private byte[] mac(byte[] state) {
        Mac m = mac.get();
        m.update(DOMAIN);
        return m.doFinal(state);
    }

    /** A ticket this server will not take; {@link #getMessage()} is the metric tag. */
    static final class Refused extends Exception {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }
}
