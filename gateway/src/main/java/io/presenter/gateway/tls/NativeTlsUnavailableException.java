package io.presenter.gateway.tls;

/**
 * The configured engine is {@code openssl} but netty-tcnative BoringSSL cannot load. The daemon
 * refuses to start rather than silently fall back to the JDK engine, which costs several times more
 * CPU per handshake and more memory per connection than the capacity plan assumes.
 */
public final class NativeTlsUnavailableException extends IllegalStateException {

    public NativeTlsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
