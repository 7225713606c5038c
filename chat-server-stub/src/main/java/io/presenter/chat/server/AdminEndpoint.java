package io.presenter.chat.server;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.presenter.protocol.process.AdminHttp;
import java.io.IOException;
import java.net.InetSocketAddress;

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
        server.createContext("/metrics", exchange -> AdminHttp.respond(exchange, "GET", 200, AdminHttp.PROMETHEUS_TEXT,
                registry.scrape()));
        server.createContext("/health", exchange -> AdminHttp.respond(exchange, "GET", 200, "text/plain", "ok\n"));
        server.createContext("/drain", exchange -> {
            if ("POST".equals(exchange.getRequestMethod())) {
                drain.run();
            }
            AdminHttp.respond(exchange, "POST", 202, "text/plain", "draining\n");
        });
        server.start();
        return new AdminEndpoint(server);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
