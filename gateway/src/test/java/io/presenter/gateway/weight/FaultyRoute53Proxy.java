package io.presenter.gateway.weight;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of moto that answers chosen {@code ChangeResourceRecordSets} calls with
 * Route53's real error responses (status, XML body, request id header) instead of forwarding
 * them, and records when each such call arrived. Everything else is forwarded untouched.
 */
public final class FaultyRoute53Proxy implements AutoCloseable {

    /** A Route53 error, as Route53 sends it. */
    public enum Fault {
        THROTTLING(400, "Throttling", "Rate exceeded"),
        PRIOR_REQUEST_NOT_COMPLETE(400, "PriorRequestNotComplete",
                "The request was rejected because Route 53 was still processing a prior request."),
        SERVICE_UNAVAILABLE(503, "ServiceUnavailable", "Service unavailable"),
        /** Not retryable: what Route53 answers to e.g. a DELETE of a record that is not there. */
        INVALID_CHANGE_BATCH(400, "InvalidChangeBatch", "Tried to delete resource record set but it was not found");

        final int status;
        final String code;
        final String message;

        Fault(int status, String code, String message) {
            this.status = status;
            this.code = code;
            this.message = message;
        }

        String body(String requestId) {
            return "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                    + "<Error><Type>" + (status >= 500 ? "Receiver" : "Sender") + "</Type><Code>" + code
                    + "</Code><Message>" + message + "</Message></Error><RequestId>" + requestId
                    + "</RequestId></ErrorResponse>";
        }
    }

    /** Headers HttpURLConnection sets itself or that belong to one hop only. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length",
            "transfer-encoding", "keep-alive", "expect");

    private final URI target;
    private final HttpServer server;
    private final Queue<Fault> faults = new ArrayDeque<>();
    private final List<Long> changeCallNanos = new CopyOnWriteArrayList<>();
    private final AtomicInteger getChangeCalls = new AtomicInteger();
    private volatile boolean reportPending;

    public FaultyRoute53Proxy(URI target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next {@code count} ChangeResourceRecordSets calls get {@code fault}, after any already queued. */
    public synchronized void failNextChanges(int count, Fault fault) {
        for (int i = 0; i < count; i++) {
            faults.add(fault);
        }
    }

    synchronized int faultsLeft() {
        return faults.size();
    }

    /**
     * Makes accepted changes look PENDING, as real Route53 answers, so the publisher must poll
     * GetChange (which moto answers INSYNC) to see them applied.
     */
    void reportChangesPending(boolean value) {
        reportPending = value;
    }

    /** When each ChangeResourceRecordSets call arrived (System.nanoTime), faulted or not. */
    List<Long> changeCallNanos() {
        return List.copyOf(changeCallNanos);
    }

    /** How many GetChange calls went through. */
    int getChangeCalls() {
        return getChangeCalls.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getRawPath();
            if ("GET".equals(exchange.getRequestMethod()) && path.contains("/change/")) {
                getChangeCalls.incrementAndGet();
            }
            boolean change = "POST".equals(exchange.getRequestMethod())
                    && (path.endsWith("/rrset") || path.endsWith("/rrset/"));
            if (change) {
                changeCallNanos.add(System.nanoTime());
                Fault fault;
                synchronized (this) {
                    fault = faults.poll();
                }
                if (fault != null) {
                    String requestId = UUID.randomUUID().toString();
                    byte[] error = fault.body(requestId).getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Content-Type", "text/xml");
                    exchange.getResponseHeaders().add("x-amzn-RequestId", requestId);
                    exchange.sendResponseHeaders(fault.status, error.length);
                    exchange.getResponseBody().write(error);
                    return;
                }
            }
            forward(exchange, body, change && reportPending);
        }
    }

    private void forward(HttpExchange exchange, byte[] body, boolean pending) throws IOException {
        URI uri = target.resolve(exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        try {
            connection.setRequestMethod(exchange.getRequestMethod());
            connection.setConnectTimeout(5000);
            connection.setReadTimeout(10_000);
            for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
                if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                    for (String value : header.getValue()) {
                        connection.addRequestProperty(header.getKey(), value);
                    }
                }
            }
            if (body.length > 0) {
                connection.setDoOutput(true);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = connection.getResponseCode();
            byte[] response;
            try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
                response = in == null ? new byte[0] : in.readAllBytes();
            }
            if (pending && status == 200) {
                response = new String(response, StandardCharsets.UTF_8)
                        .replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>")
                        .getBytes(StandardCharsets.UTF_8);
            }
            for (Map.Entry<String, List<String>> header : connection.getHeaderFields().entrySet()) {
                if (header.getKey() != null && !NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                    exchange.getResponseHeaders().put(header.getKey(), header.getValue());
                }
            }
            exchange.sendResponseHeaders(status, response.length == 0 ? -1 : response.length);
            exchange.getResponseBody().write(response);
        } finally {
            connection.disconnect();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
