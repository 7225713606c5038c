package io.presenter.gateway.lifecycle;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.protocols.jsoncore.JsonNodeParser;

/**
 * The presenter's admin endpoint as the lifecycle handler uses it: {@code POST /drain} starts the
 * drain (idempotent, 202), {@code GET /drain} reads its status (200). When a token file is given,
 * every request carries {@code Authorization: Bearer <token>}; the file is read again for every
 * request, so a rotated token is picked up.
 */
final class PresenterAdmin {

    /** The drain status JSON: {@code {"phase":..,"connections":..,"secondsInPhase":..,"draining":..}}. */
    record DrainStatus(String phase, long connections, double secondsInPhase, boolean draining) {

        static final String DRAINED = "DRAINED";
        static final String SERVING = "SERVING";

        boolean drained() {
            return DRAINED.equals(phase);
        }

        static DrainStatus parse(String json) throws IOException {
            JsonNode node;
            try {
                node = JsonNodeParser.create().parse(json);
            } catch (RuntimeException e) {
                throw new IOException("drain status is not JSON: " + abbreviate(json), e);
            }
            if (!node.isObject()) {
                throw new IOException("drain status is not a JSON object: " + abbreviate(json));
            }
            Map<String, JsonNode> fields = node.asObject();
            JsonNode phase = fields.get("phase");
            if (phase == null || !phase.isString()) {
                throw new IOException("drain status has no phase: " + abbreviate(json));
            }
            JsonNode connections = fields.get("connections");
            JsonNode seconds = fields.get("secondsInPhase");
            JsonNode draining = fields.get("draining");
            return new DrainStatus(
                    phase.asString(),
                    connections != null && connections.isNumber() ? (long) Double.parseDouble(connections.asNumber()) : -1,
                    seconds != null && seconds.isNumber() ? Double.parseDouble(seconds.asNumber()) : 0,
                    draining != null && draining.isBoolean() ? draining.asBoolean() : !SERVING.equals(phase.asString()));
        }

        @Override
        public String toString() {
            return String.format("%s (%d connections, %.1f s in phase)", phase, connections, secondsInPhase);
        }
    }

    /** The endpoint answered 401 or 403: the token is missing or wrong. Retrying will not help. */
    static final class UnauthorizedException extends IOException {
        private static final long serialVersionUID = 1L;

        UnauthorizedException(String message) {
            super(message);
        }
    }

    private final URI drainUri;
    private final Path tokenFile;
    private final HttpClient http;
    private final Duration requestTimeout;

    PresenterAdmin(URI adminUrl, Path tokenFile, Duration requestTimeout) {
        this.drainUri = LocalHttp.directory(adminUrl).resolve("drain");
        this.tokenFile = tokenFile;
        this.requestTimeout = requestTimeout;
        this.http = LocalHttp.client(requestTimeout);
    }

    URI drainUri() {
        return drainUri;
    }

    /**
     * {@code POST /drain}. Throws {@link ConnectException} when nothing listens on the admin port,
     * {@link UnauthorizedException} on 401/403, another {@link IOException} on anything else.
     */
    DrainStatus startDrain() throws IOException, InterruptedException {
        return call(request().POST(HttpRequest.BodyPublishers.noBody()).build(), 202, 200);
    }

    /** {@code GET /drain}, with the same exceptions as {@link #startDrain()}. */
    DrainStatus status() throws IOException, InterruptedException {
        return call(request().GET().build(), 200, 200);
    }

    private HttpRequest.Builder request() throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(drainUri)
                .timeout(requestTimeout)
                .header("Accept", "application/json");
        if (tokenFile != null) {
            String token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) {
                throw new UnauthorizedException("admin token file " + tokenFile + " is empty");
            }
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private DrainStatus call(HttpRequest request, int expected, int alsoAccepted) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        int code = response.statusCode();
        if (code == 401 || code == 403) {
            throw new UnauthorizedException(request.method() + " " + drainUri + " answered HTTP " + code
                    + (tokenFile == null ? " (no --admin-token-file given)" : " (check the token in " + tokenFile + ")"));
        }
        if (code != expected && code != alsoAccepted) {
            throw new IOException(request.method() + " " + drainUri + " answered HTTP " + code + ": "
                    + abbreviate(response.body()));
        }
        return DrainStatus.parse(response.body());
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
