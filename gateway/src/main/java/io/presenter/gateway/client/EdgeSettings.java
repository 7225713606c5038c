package io.presenter.gateway.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How the client listener guards the edge: the PROXY protocol, the accept rates above which new
 * connections are refused before any TLS work, and the optional maximum connection age.
 *
 * @param proxyProtocol whether connections start with a PROXY v1/v2 header naming the end client
 * @param maxHandshakeRate new connections (each a TLS handshake) a second in total; 0 for no limit
 * @param maxConnectionRatePerAddress new connections a second from one source address; 0 for no limit
 * @param maxConnectionAge a client connection older than this (± the jitter) is closed; zero disables it
 * @param maxConnectionAgeJitter fraction of the age each connection's may differ by, either way (0..1)
 * @param ageCloseRate age closes a second at most, like the drain's close rate
 */
public record EdgeSettings(ProxyProtocol proxyProtocol, int maxHandshakeRate, int maxConnectionRatePerAddress,
        Duration maxConnectionAge, double maxConnectionAgeJitter, int ageCloseRate) {

    /** gRPC's choice (proposal A9): ±10%. */
    public static final double DEFAULT_AGE_JITTER = 0.1;
    /** The drain's default close rate. */
    public static final int DEFAULT_AGE_CLOSE_RATE = 100;
    /** No PROXY header, no accept rate limit, no maximum age. */
    public static final EdgeSettings DEFAULTS = new EdgeSettings(ProxyProtocol.OFF, 0, 0, Duration.ZERO,
            DEFAULT_AGE_JITTER, DEFAULT_AGE_CLOSE_RATE);

    public EdgeSettings {
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(maxConnectionAge, "maxConnectionAge");
        if (maxHandshakeRate < 0 || maxConnectionRatePerAddress < 0 || ageCloseRate < 1
                || maxConnectionAge.isNegative() || !(maxConnectionAgeJitter >= 0 && maxConnectionAgeJitter <= 1)) {
            throw new IllegalArgumentException("handshake rate " + maxHandshakeRate + ", rate per address "
                    + maxConnectionRatePerAddress + ", max age " + maxConnectionAge + " jitter "
                    + maxConnectionAgeJitter + ", close rate " + ageCloseRate);
        }
    }

    public EdgeSettings withProxyProtocol(ProxyProtocol value) {
        return new EdgeSettings(value, maxHandshakeRate, maxConnectionRatePerAddress, maxConnectionAge,
                maxConnectionAgeJitter, ageCloseRate);
    }

    public EdgeSettings withAcceptRates(int handshakesPerSecond, int perAddressPerSecond) {
        return new EdgeSettings(proxyProtocol, handshakesPerSecond, perAddressPerSecond, maxConnectionAge,
                maxConnectionAgeJitter, ageCloseRate);
    }

    public EdgeSettings withMaxConnectionAge(Duration age, double jitter, int closeRate) {
        return new EdgeSettings(proxyProtocol, maxHandshakeRate, maxConnectionRatePerAddress, age, jitter, closeRate);
    }
}
