package io.presenter.gateway.backend;

/** A handed-over session's new owner did not announce handover on its mux connection. */
public final class HandoverUnsupportedException extends Exception {
    public HandoverUnsupportedException(String member) {
        super("chat server " + member + " did not negotiate handover", null, false, false);
    }
}
