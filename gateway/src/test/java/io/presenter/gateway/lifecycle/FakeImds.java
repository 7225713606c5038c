package io.presenter.gateway.lifecycle;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the EC2 instance metadata service on loopback that speaks IMDSv2 only: a token
 * from {@code PUT /latest/api/token} (which needs the TTL header), and every {@code GET} must carry
 * an issued token or gets 401. Items the test has not set answer 404, as IMDS does.
 */
final class FakeImds implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, String> items = new ConcurrentHashMap<>();
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();

    FakeImds() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    FakeImds set(String path, String value) {
        items.put("/" + path, value);
        return this;
    }

    /** How many GETs of {@code path} were answered (with a valid token). */
    int gets(String path) {
        AtomicInteger n = gets.get("/" + path);
        return n == null ? 0 : n.get();
    }

    /** Forgets every issued token, as when tokens expire: the next GETs get 401. */
    void revokeTokens() {
        tokens.clear();
    }

    int tokenRequests() {
        return tokenRequests.get();
    }

    /** Requests refused for a missing or unknown token, or a token PUT without a TTL. */
    int rejected() {
        return rejected.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (("/" + InstanceMetadata.TOKEN_PATH).equals(path)) {
                String ttl = exchange.getRequestHeaders().getFirst(InstanceMetadata.TOKEN_TTL_HEADER);
                if (!"PUT".equals(method) || ttl == null || Integer.parseInt(ttl) < 1 || Integer.parseInt(ttl) > 21600) {
                    rejected.incrementAndGet();
                    send(exchange, 400, "");
                    return;
                }
                String token = "token-" + tokenRequests.incrementAndGet();
                tokens.add(token);
                send(exchange, 200, token);
                return;
            }
            String token = exchange.getRequestHeaders().getFirst(InstanceMetadata.TOKEN_HEADER);
            if (!"GET".equals(method) || token == null || !tokens.contains(token)) {
                rejected.incrementAndGet();
                send(exchange, 401, "");
                return;
            }
            gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            String value = items.get(path);
            if (value == null) {
                send(exchange, 404, "");
            } else {
                send(exchange, 200, value);
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
