package io.keel.tests.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A small client of the REST API for tests: JSON in, status and JSON out. */
public final class Rest {

    public static final ObjectMapper JSON = new ObjectMapper();

    /** A response: the HTTP status and the parsed body (null when empty). */
    public record Reply(int status, JsonNode body) {
        public String code() {
            return body == null || body.get("code") == null ? "" : body.get("code").asText();
        }

        public String message() {
            return body == null || body.get("message") == null ? "" : body.get("message").asText();
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String base;
    private final String authorization;

    public Rest(final int port, final String user, final String password) {
        this.base = "http://127.0.0.1:" + port;
        this.authorization = password == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public Rest withPassword(final String password) {
        return new Rest(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), "admin", password);
    }

    public Reply get(final String path) throws IOException, InterruptedException {
        return send(builder(path).GET());
    }

    public Reply post(final String path, final String json) throws IOException, InterruptedException {
        return send(builder(path).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"));
    }

    public Reply post(final String path, final String json, final String idempotencyKey)
            throws IOException, InterruptedException {
        return send(builder(path).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json").header("Idempotency-Key", idempotencyKey));
    }

    public Reply patch(final String path, final String json) throws IOException, InterruptedException {
        return send(builder(path).method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"));
    }

    public Reply put(final String path, final String json) throws IOException, InterruptedException {
        return send(builder(path).PUT(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json"));
    }

    public Reply delete(final String path) throws IOException, InterruptedException {
        return send(builder(path).DELETE());
    }

    /** Sends raw bytes, for malformed-input tests. */
    public Reply postRaw(final String path, final String contentType, final String body)
            throws IOException, InterruptedException {
        return send(builder(path).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", contentType));
    }

    private HttpRequest.Builder builder(final String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private Reply send(final HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        String text = response.body();
        JsonNode body = text == null || text.isBlank() ? null : parse(text);
        return new Reply(response.statusCode(), body);
    }

    private static JsonNode parse(final String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(text);
        }
    }
}
