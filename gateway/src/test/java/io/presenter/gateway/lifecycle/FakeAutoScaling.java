package io.presenter.gateway.lifecycle;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A recording stand-in for the Auto Scaling API: the AWS SDK is pointed at it with
 * {@code endpointOverride}. It parses the Query-protocol form body each call carries and answers
 * with the XML the real service sends, so the SDK's own marshalling and unmarshalling run.
 */
final class FakeAutoScaling implements AutoCloseable {

    static final String NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    /** One API call: its form parameters and its SigV4 Authorization header. */
    record Call(Map<String, String> params, String authorization) {
        String action() {
            return params.get("Action");
        }
    }

    private final HttpServer server;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private volatile String completeErrorCode;
    private volatile String completeErrorMessage;

    FakeAutoScaling() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    List<Call> calls(String action) {
        return calls.stream().filter(c -> action.equals(c.action())).collect(Collectors.toList());
    }

    /** Every CompleteLifecycleAction from now on fails with this 400 error. */
    void failCompleteWith(String code, String message) {
        completeErrorMessage = message;
        completeErrorCode = code;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (String pair : body.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(key, value);
            }
            calls.add(new Call(params, exchange.getRequestHeaders().getFirst("Authorization")));
            String action = params.getOrDefault("Action", "");
            int status = 200;
            String xml;
            if (!"POST".equals(exchange.getRequestMethod()) || !"2011-01-01".equals(params.get("Version"))) {
                status = 400;
                xml = error("InvalidAction", "expected a POSTed 2011-01-01 Query request");
            } else if ("CompleteLifecycleAction".equals(action) && completeErrorCode != null) {
                status = 400;
                xml = error(completeErrorCode, completeErrorMessage);
            } else if ("RecordLifecycleActionHeartbeat".equals(action) || "CompleteLifecycleAction".equals(action)) {
                xml = "<" + action + "Response xmlns=\"" + NS + "\"><" + action + "Result/>"
                        + "<ResponseMetadata><RequestId>req-" + calls.size() + "</RequestId></ResponseMetadata>"
                        + "</" + action + "Response>";
            } else {
                status = 400;
                xml = error("InvalidAction", "not supported here: " + action);
            }
            byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/xml");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String error(String code, String message) {
        return "<ErrorResponse xmlns=\"" + NS + "\"><Error><Type>Sender</Type><Code>" + code + "</Code><Message>"
                + message + "</Message></Error><RequestId>err</RequestId></ErrorResponse>";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
