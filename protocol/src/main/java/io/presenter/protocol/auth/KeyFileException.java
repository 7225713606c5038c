package io.presenter.protocol.auth;

import java.io.IOException;

/**
 * A token key file that cannot be used; the message names the file, the line and the problem, and
 * never a secret.
 */
public final class KeyFileException extends IOException {

    private static final long serialVersionUID = 1L;

    KeyFileException(String message) {
        super(message);
    }
}
