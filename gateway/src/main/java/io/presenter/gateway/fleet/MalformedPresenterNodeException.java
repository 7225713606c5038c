package io.presenter.gateway.fleet;

/** A presenter node whose data cannot be trusted with a weight; {@link #reason()} is the meter tag. */
final class MalformedPresenterNodeException extends Exception {

    private final String reason;

    MalformedPresenterNodeException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
