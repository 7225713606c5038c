package io.presenter.gateway.backend;

/**
 * A chat server is reachable, but every connection this presenter may open to it on this event
 * loop ({@code backend.max-connections-per-loop}) carries its stream limit
 * ({@code backend.max-streams-per-connection}, or the chat server's lower one).
 */
public final class BackendFullException extends RuntimeException {

    public BackendFullException(String message) {
        super(message, null, false, false);
    }
}
