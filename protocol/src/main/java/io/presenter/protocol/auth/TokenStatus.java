package io.presenter.protocol.auth;

import io.presenter.protocol.wire.AuthStatus;

/** The outcome of verifying a token; each maps onto the {@link AuthStatus} a client is told. */
public enum TokenStatus {
    /** Signed by a known key for this user and couple, and not expired. */
    OK(AuthStatus.OK),
    /** The signature is not this key's for this user, couple and expiry: forged or altered. */
    BAD_SIGNATURE(AuthStatus.BAD_SIGNATURE),
    /** Authentic, but its expiry (plus the allowed clock skew) has passed. */
    EXPIRED(AuthStatus.EXPIRED),
    /** Names a key this ring does not have: never issued, or retired after rotation. */
    UNKNOWN_KEY(AuthStatus.UNKNOWN_KEY),
    /** Fields missing or of the wrong shape; nothing was checked cryptographically. */
    MALFORMED(AuthStatus.MALFORMED);

    private final AuthStatus authStatus;

    TokenStatus(AuthStatus authStatus) {
        this.authStatus = authStatus;
    }

    /** What to put in the {@code AuthResult} sent to the client. */
    public AuthStatus toAuthStatus() {
        return authStatus;
    }
}
