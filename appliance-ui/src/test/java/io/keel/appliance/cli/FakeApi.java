package io.keel.appliance.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A stand-in for a Keel node's REST API: records every request and answers with canned replies
 * per method and path. Replies queued for one route are used in order; the last one repeats.
 */
final class FakeApi implements AutoCloseable {

    /** One request as the server saw it. */
    record Request(String method, String path, Map<String, List<String>> headers, String body) {

        String header(final String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private record Reply(int status, String body) {
    }

    private final HttpServer server;
    private final List<Request> requests = new ArrayList<>();
    private final Map<String, Deque<Reply>> replies = new HashMap<>();

    FakeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Queues a reply for {@code method path} (path with its query, under /api/v1). */
    synchronized FakeApi reply(final String method, final String path, final int status, final String body) {
        replies.computeIfAbsent(method + " " + path, k -> new ArrayDeque<>()).add(new Reply(status, body));
        return this;
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    synchronized Request only() {
        if (requests.size() != 1) {
            throw new AssertionError("expected one request, got " + requests);
        }
        return requests.get(0);
    }

    private void handle(final HttpExchange exchange) throws IOException {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, List<String>> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
        String path = exchange.getRequestURI().getRawPath();
        if (exchange.getRequestURI().getRawQuery() != null) {
            path += "?" + exchange.getRequestURI().getRawQuery();
        }
        String method = exchange.getRequestMethod();
        Reply reply;
        synchronized (this) {
            requests.add(new Request(method, path, headers, body));
            Deque<Reply> queue = replies.get(method + " " + path.substring("/api/v1".length()));
            if (queue == null || queue.isEmpty()) {
                reply = new Reply(404, "{\"code\":\"NOT_FOUND\",\"message\":\"no canned reply for " + method + " "
                        + path + "\"}");
            } else {
                reply = queue.size() > 1 ? queue.poll() : queue.peek();
            }
        }
        if (reply.status() == 401) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"keel\"");
        }
        if (reply.status() == 204 || reply.body() == null) {
            exchange.sendResponseHeaders(reply.status(), -1);
            exchange.close();
            return;
        }
        byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(reply.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
