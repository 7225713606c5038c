package io.presenter.gateway.lifecycle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * A small IMDSv2 client: a session token from {@code PUT /latest/api/token}, then {@code GET}s
 * that carry it. The token is cached for most of its lifetime and fetched again after it expires
 * or when the service answers 401. Every request has a timeout.
 */
final class InstanceMetadata {

    static final String TOKEN_PATH = "latest/api/token";
    static final String TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
    static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";
    static final String INSTANCE_ID = "latest/meta-data/instance-id";
    static final String REGION = "latest/meta-data/placement/region";
    static final String TARGET_LIFECYCLE_STATE = "latest/meta-data/autoscaling/target-lifecycle-state";
    /** Present only when the instance allows tags in its metadata (InstanceMetadataTags=enabled). */
    static final String ASG_NAME_TAG = "latest/meta-data/tags/instance/aws:autoscaling:groupName";

    /** Six hours, the longest IMDS allows; the token is renewed a minute before it runs out. */
    private static final Duration TOKEN_TTL = Duration.ofHours(6);
    private static final Duration TOKEN_MARGIN = Duration.ofMinutes(1);

    private final URI base;
    private final HttpClient http;
    private final Duration requestTimeout;
    private String token;
    private long tokenExpiresAtNanos;

    InstanceMetadata(URI base, Duration requestTimeout) {
        this.base = LocalHttp.directory(base);
        this.requestTimeout = requestTimeout;
        this.http = LocalHttp.client(requestTimeout);
    }

    /**
     * Reads one metadata item: its text, or empty when the service says 404 (an item that does not
     * exist, or not yet: the target lifecycle state appears only once the instance is in a group).
     */
    synchronized Optional<String> get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = send(path, token());
        if (response.statusCode() == 401) {
            // The token expired early or the service restarted: one fresh token, one retry.
            token = null;
            response = send(path, token());
        }
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new IOException("instance metadata " + path + " answered HTTP " + response.statusCode());
        }
        return Optional.of(response.body().trim());
    }

    /** Reads an item that must exist. */
    String require(String path) throws IOException, InterruptedException {
        return get(path).orElseThrow(() -> new IOException("instance metadata has no " + path));
    }

    private HttpResponse<String> send(String path, String sessionToken) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(requestTimeout)
                .header(TOKEN_HEADER, sessionToken)
                .GET()
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private String token() throws IOException, InterruptedException {
        if (token != null && System.nanoTime() - tokenExpiresAtNanos < 0) {
            return token;
        }
        HttpRequest request = HttpRequest.newBuilder(base.resolve(TOKEN_PATH))
                .timeout(requestTimeout)
                .header(TOKEN_TTL_HEADER, Long.toString(TOKEN_TTL.getSeconds()))
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200 || response.body().isBlank()) {
            throw new IOException("instance metadata token request answered HTTP " + response.statusCode());
        }
        token = response.body().trim();
        tokenExpiresAtNanos = System.nanoTime() + TOKEN_TTL.minus(TOKEN_MARGIN).toNanos();
        return token;
    }
}
