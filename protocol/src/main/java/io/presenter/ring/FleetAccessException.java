package io.presenter.ring;

/** ZooKeeper does not let this process act as its role, or lets anyone do so; the message says why and what to fix. */
public final class FleetAccessException extends Exception {

    private final String reason;

    FleetAccessException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** The counted reason: {@code no_credentials}, {@code wrong_identity}, {@code no_auth} or {@code open_acl}. */
    public String reason() {
        return reason;
    }
}
