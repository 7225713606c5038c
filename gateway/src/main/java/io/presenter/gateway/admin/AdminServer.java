package io.presenter.gateway.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.presenter.gateway.drain.DrainController;
import io.presenter.gateway.reload.ConfigReloader;
import io.presenter.gateway.reload.ReloadOutcome;
import io.presenter.protocol.process.AdminHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The presenter's admin HTTP endpoint, on its own port and thread, never on the client event loops:
 * <ul>
 *   <li>{@code GET /health}: 200 while the process runs.</li>
 *   <li>{@code GET /ready}: 200 when the ring is known and a chat server is reachable and the
 *       presenter is not draining; 503 with the reason otherwise.</li>
 *   <li>{@code GET /metrics}: every meter, Prometheus text format.</li>
 *   <li>{@code GET /drain}: the drain status as JSON; {@code POST /drain} starts the drain and
 *       answers 202 with it. With a token configured, {@code POST /drain} needs
 *       {@code Authorization: Bearer <token>}.</li>
 *   <li>{@code POST /reload}, {@code GET /reload}: see {@link #serveReload}.</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final String token;

    private AdminServer(HttpServer server, ExecutorService executor, String token) {
        this.server = server;
        this.executor = executor;
        this.token = token;
    }

    /**
     * @param readiness null when ready, else why not
     * @param drainToken the bearer token {@code POST /drain} needs, or null for none
     */
    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry,
            Supplier<String> readiness, DrainController drain, String drainToken) throws IOException {
        HttpServer server = HttpServer.create(address, 64);
        server.createContext("/health", exchange -> AdminHttp.respond(exchange, "GET", 200, "text/plain", "ok\n"));
        server.createContext("/ready", exchange -> {
            String notReady = readiness.get();
            AdminHttp.respond(exchange, "GET", notReady == null ? 200 : 503, "text/plain",
                    notReady == null ? "ready\n" : notReady + "\n");
        });
        server.createContext("/metrics", exchange -> AdminHttp.respond(exchange, "GET", 200,
                AdminHttp.PROMETHEUS_TEXT, registry.scrape()));
        server.createContext("/drain", exchange -> {
            if ("POST".equals(exchange.getRequestMethod())) {
                if (!authorized(exchange, drainToken)) {
                    log.warn("POST /drain from {} refused: bad or missing credential", exchange.getRemoteAddress());
                    AdminHttp.respond(exchange, "POST", 401, "text/plain", "bearer token required\n");
                    return;
                }
                log.info("POST /drain from {}", exchange.getRemoteAddress());
                AdminHttp.respond(exchange, "POST", 202, "application/json", drain.start().toJson() + "\n");
            } else {
                AdminHttp.respond(exchange, "GET", 200, "application/json", drain.status().toJson() + "\n");
            }
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "presenter-admin");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        return new AdminServer(server, executor, drainToken);
    }

    /**
     * Serves {@code /reload}: {@code POST} reloads (with the credential {@code POST /drain} needs)
     * and answers the outcome as JSON, 200 when applied or unchanged, 422 when rejected (the
     * running config stays); {@code GET} answers the latest outcome.
     */
    public void serveReload(ConfigReloader reloader) {
        server.createContext("/reload", exchange -> {
            if ("POST".equals(exchange.getRequestMethod())) {
                if (!authorized(exchange, token)) {
                    log.warn("POST /reload from {} refused: bad or missing credential", exchange.getRemoteAddress());
                    AdminHttp.respond(exchange, "POST", 401, "text/plain", "bearer token required\n");
                    return;
                }
                log.info("POST /reload from {}", exchange.getRemoteAddress());
                ReloadOutcome outcome = reloader.reload("admin");
                AdminHttp.respond(exchange, "POST", outcome.rejected() ? 422 : 200, "application/json",
                        outcome.toJson() + "\n");
            } else {
                ReloadOutcome last = reloader.last();
                AdminHttp.respond(exchange, "GET", 200, "application/json",
                        (last == null ? "{\"result\":\"none\"}" : last.toJson()) + "\n");
            }
        });
    }

    private static boolean authorized(HttpExchange exchange, String token) {
        if (token == null) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] given = (header == null ? "" : header).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
