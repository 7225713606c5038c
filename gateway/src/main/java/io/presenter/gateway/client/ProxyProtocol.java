package io.presenter.gateway.client;

import java.util.Arrays;
import java.util.Locale;

/**
 * Whether the client listener expects a PROXY protocol (v1 or v2) header before TLS, as a network
 * load balancer (AWS NLB, HAProxy {@code send-proxy-v2}) sends it to name the end client.
 */
public enum ProxyProtocol {
    /** No header: the socket's peer is the client. */
    OFF,
    /**
     * A header if the connection starts with one, else the socket's peer. For a migration onto a
     * balancer only: any client that reaches the port directly can send a header naming any
     * address it likes, and so escape the per-address limits and write the logs' addresses. Use
     * {@link #REQUIRED} once every client comes through the balancer.
     */
    OPTIONAL,
    /** Every connection must start with a header; one without is refused and counted. */
    REQUIRED;

    /**
     * {@code off}, {@code optional} or {@code required}. YAML 1.1 reads a bare {@code off} as the
     * boolean false, which therefore means {@code off} too.
     */
    public static ProxyProtocol fromConfig(String value) {
        String mode = value.toLowerCase(Locale.ROOT);
        if (mode.equals("false")) {
            return OFF;
        }
        return Arrays.stream(values()).filter(candidate -> candidate.configValue().equals(mode))
                .findFirst().orElseThrow(() -> new IllegalArgumentException(
                        "expected off, optional or required, got '" + value + "'"));
    }

    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
