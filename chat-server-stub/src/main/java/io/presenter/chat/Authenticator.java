package io.presenter.chat;

import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;

/** Decides whether an auth packet may open a chat session. Called on an event loop: no blocking. */
@FunctionalInterface
public interface Authenticator {

    AuthStatus authenticate(AuthPacket packet);
}
