package io.presenter.gateway.admin;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Where the admin endpoint listens and what guards it.
 *
 * @param enabled whether it runs at all
 * @param address listen address; anything but loopback requires a token file
 * @param tokenFile holds the bearer token {@code POST /drain} needs, or null
 */
public record AdminSettings(boolean enabled, InetSocketAddress address, Path tokenFile) {

    public AdminSettings {
        if (enabled && tokenFile == null && !address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("admin.address " + address.getHostString()
                    + " is not loopback: set admin.token-file, or anyone who can reach it can drain this presenter");
        }
    }
}
