package io.presenter.gateway.lifecycle;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in for the presenter's admin endpoint, speaking its drain contract: {@code POST /drain}
 * starts the drain (idempotent, 202 with the status), {@code GET /drain} answers 200 with the
 * status JSON. The test advances the phase. With a token, requests without
 * {@code Authorization: Bearer <token>} get 401. {@link #exit()} closes the port, as the
 * presenter's exit does.
 */
final class FakePresenterAdmin implements AutoCloseable {

    /** One request as it arrived, and what it was answered. */
    record Request(String method, String path, String authorization, int status) {}

    private final HttpServer server;
    private volatile String token;
    private final AtomicReference<String> phase = new AtomicReference<>("SERVING");
    private final AtomicLong connections = new AtomicLong(1000);
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    FakePresenterAdmin(String token) throws IOException {
        this.token = token;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void phase(String newPhase, long connectionsLeft) {
        connections.set(connectionsLeft);
        phase.set(newPhase);
    }

    /** The operator rotates the admin credential. */
    void token(String newToken) {
        token = newToken;
    }

    String phase() {
        return phase.get();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    long count(String method, int status) {
        return requests.stream().filter(r -> r.method().equals(method) && r.status() == status).count();
    }

    /** The presenter exits: nothing listens on the admin port any more. */
    void exit() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            int status;
            if (token != null && !("Bearer " + token).equals(authorization)) {
                status = 401;
            } else if (!"/drain".equals(path)) {
                status = 404;
            } else if ("POST".equals(method)) {
                phase.compareAndSet("SERVING", "ZEROING_WEIGHT");
                status = 202;
            } else if ("GET".equals(method)) {
                status = 200;
            } else {
                status = 405;
            }
            requests.add(new Request(method, path, authorization, status));
            if (status >= 400) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            String p = phase.get();
            byte[] body = String.format("{\"phase\":\"%s\",\"connections\":%d,\"secondsInPhase\":4.2,\"draining\":%s}",
                    p, connections.get(), !"SERVING".equals(p)).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
