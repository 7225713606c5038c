package io.presenter.chat.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The stub's admin port: {@code GET /metrics} (Prometheus text), {@code GET /health}, and
 * {@code POST /drain} (the same drain as SIGTERM; answers 202 and the process exits when drained).
 * The JDK's built-in HTTP server is all a stub needs, and it stays off the chat event loops. Bind
 * it to loopback unless a scraper elsewhere needs it: {@code /drain} has no credential.
 */
final class AdminEndpoint implements AutoCloseable {

    private final HttpServer server;

    private AdminEndpoint(HttpServer server) {
        this.server = server;
    }

    static AdminEndpoint start(InetSocketAddress address, PrometheusMeterRegistry registry, Runnable drain)
            throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        server.createContext("/metrics", exchange -> respond(exchange, "GET", 200, registry.scrape()));
        server.createContext("/health", exchange -> respond(exchange, "GET", 200, "ok\n"));
        server.createContext("/drain", exchange -> {
            if ("POST".equals(exchange.getRequestMethod())) {
                drain.run();
            }
            respond(exchange, "POST", 202, "draining\n");
        });
        server.start();
        return new AdminEndpoint(server);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    private static void respond(HttpExchange exchange, String method, int okStatus, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        boolean allowed = method.equals(exchange.getRequestMethod());
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(allowed ? okStatus : 405, allowed ? bytes.length : -1);
        if (allowed) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
