package io.presenter.gateway.backend;

/** A chat server cannot be reached now: its last connect failed and the backoff has not passed. */
public final class BackendUnavailableException extends RuntimeException {

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
