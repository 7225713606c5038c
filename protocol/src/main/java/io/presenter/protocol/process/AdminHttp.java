package io.presenter.protocol.process;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one way the admin ports (the presenter's and the chat-server stub's, both on the JDK's
 * {@code HttpServer}) answer: a small text body, or 405 when the request used another method.
 */
public final class AdminHttp {

    /** Prometheus's text exposition format. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private AdminHttp() {}

    /**
     * Answers {@code status} with {@code body} when the request's method is {@code method}, else 405
     * with no body, and closes the exchange.
     */
    public static void respond(HttpExchange exchange, String method, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        boolean allowed = method.equals(exchange.getRequestMethod());
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(allowed ? status : 405, allowed ? bytes.length : -1);
        if (allowed) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }
}
