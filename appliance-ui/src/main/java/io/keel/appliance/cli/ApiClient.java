package io.keel.appliance.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keel.runtime.time.Deadline;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The CLI's side of REST API v1: one client per invocation, with Basic authentication, an
 * {@code Idempotency-Key} shared by every attempt of a change, and bounded retries on connection
 * errors and {@code 503} (no meta leader during an election).
 */
public final class ApiClient implements AutoCloseable {

    /** Attempts per request, the first one included. */
    static final int MAX_ATTEMPTS = 5;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/api/v1";

    /** A password and where it came from, so that a 401 can say which one was refused. */
    public record Password(String value, String origin) {

        @Override
        public String toString() {
            return "Password[from " + origin + "]";
        }
    }

    private final URI base;
    private final String user;
    private final Supplier<Password> passwordSource;
    private final Duration timeout;
    private final CliEnvironment env;
    private final HttpClient http;
    // One key per invocation: the retries of a change are the same change to the server.
    private final String idempotencyKey = UUID.randomUUID().toString();
    private Password password;
    private int lastAttempts;

    /**
     * A client for the node at {@code url}.
     *
     * @param url      the node's base URL, e.g. {@code http://10.0.0.5:8080}; a trailing {@code /api/v1} is accepted
     * @param user     the admin user
     * @param password asked only when the first authenticated request is made
     * @param timeout  the total time one request may take, its retries included
     * @param env      the clock retries wait on
     */
    public ApiClient(final String url, final String user, final Supplier<Password> password,
            final Duration timeout, final CliEnvironment env) {
        this.base = baseUri(url);
        this.user = user;
        this.passwordSource = password;
        this.timeout = timeout;
        this.env = env;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private static URI baseUri(final String url) {
        String trimmed = url.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        if (trimmed.endsWith(PREFIX)) {
            trimmed = trimmed.substring(0, trimmed.length() - PREFIX.length());
        }
        try {
            URI uri = new URI(trimmed);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException bad) {
            // falls through to the same message as a URL of the wrong kind
        }
        throw new CliException("--url '" + url + "' is not an http:// or https:// URL of a Keel node, "
                + "e.g. http://127.0.0.1:8080", CliException.FAILED);
    }

    /** The node's base URL as used, for messages. */
    public String baseUrl() {
        return base.toString();
    }

    /** The key every change of this invocation carries. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /**
     * Builds an API path from segments, percent-encoding each one, e.g. {@code path("volumes", "vm-1")}.
     * IQNs contain {@code :}, which is legal in a segment; anything outside the unreserved set is encoded.
     */
    public static String path(final String... segments) {
        StringBuilder path = new StringBuilder();
        for (String segment : segments) {
            path.append('/');
            for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
                char c = (char) (b & 0xff);
                if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~:@".indexOf(c) >= 0)) {
                    path.append(c);
                } else {
                    path.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
                }
            }
        }
        return path.toString();
    }

    /** GETs {@code path} (relative to {@code /api/v1}) with authentication. */
    public JsonNode get(final String path) {
        return call("GET", path, null, true);
    }

    /** GETs {@code path} without credentials (only {@code /health} allows it). */
    public JsonNode getUnauthenticated(final String path) {
        return call("GET", path, null, false);
    }

    /** POSTs {@code body}; returns the response body, or null for 204. */
    public JsonNode post(final String path, final JsonNode body) {
        return call("POST", path, body, true);
    }

    /** PATCHes {@code body}; returns the response body, or null for 204. */
    public JsonNode patch(final String path, final JsonNode body) {
        return call("PATCH", path, body, true);
    }

    /** PUTs {@code body}; returns the response body, or null for 204. */
    public JsonNode put(final String path, final JsonNode body) {
        return call("PUT", path, body, true);
    }

    /** DELETEs {@code path}; returns the response body, or null for 204. */
    public JsonNode delete(final String path) {
        return call("DELETE", path, null, true);
    }

    private JsonNode call(final String method, final String path, final JsonNode body, final boolean authenticate) {
        HttpResponse<String> response = exchange(method, path, body, authenticate);
        int status = response.statusCode();
        String text = response.body() == null ? "" : response.body();
        if (status >= 200 && status < 300) {
            if (text.isBlank()) {
                return null;
            }
            try {
                return JSON.readTree(text);
            } catch (JsonProcessingException notJson) {
                throw new CliException(base + " answered " + method + " " + PREFIX + path + " with a body that is "
                        + "not JSON; is that URL a Keel node?", CliException.FAILED);
            }
        }
        throw error(status, text);
    }

    private ApiException error(final int status, final String text) {
        String code = null;
        String message = null;
        try {
            JsonNode node = JSON.readTree(text);
            if (node != null && node.isObject()) {
                code = node.path("code").isTextual() ? node.path("code").asText() : null;
                message = node.path("message").isTextual() ? node.path("message").asText() : null;
            }
        } catch (JsonProcessingException notJson) {
            // a proxy or a non-Keel server: show the start of whatever it said
        }
        if (message == null) {
            String plain = text.strip();
            message = plain.isEmpty() ? "the server refused the request" : firstLine(plain);
        }
        String hint = switch (status) {
            case 401 -> "the password " + (password == null ? "" : "from " + password.origin() + " ")
                    + "was refused for user '" + user + "'; give the admin password with the KEEL_PASSWORD "
                    + "variable, --password-file FILE or at the prompt (user: --user or KEEL_USER)";
            case 503 -> "gave up after " + lastAttempts + (lastAttempts == 1 ? " attempt" : " attempts")
                    + " (at most " + MAX_ATTEMPTS + " within --timeout " + seconds(timeout)
                    + "); try again once the cluster has elected a meta leader";
            default -> null;
        };
        return new ApiException(status, code, message, hint);
    }

    private static String firstLine(final String text) {
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end).strip();
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private HttpResponse<String> exchange(final String method, final String path, final JsonNode body,
            final boolean authenticate) {
        String authorization = authenticate ? authorization() : null;
        String payload = body == null ? null : serialize(body);
        boolean change = !method.equals("GET");
        URI uri = URI.create(base + PREFIX + path);
        Deadline deadline = Deadline.after(env.clock(), timeout);
        Duration backoff = env.retryBackoff();
        for (int attempt = 1; ; attempt++) {
            lastAttempts = attempt;
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofNanos(Math.max(1_000_000, deadline.remainingNanos())))
                    .header("Accept", "application/json")
                    .header("User-Agent", "keel-cli");
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            if (change) {
                request.header("Idempotency-Key", idempotencyKey);
            }
            if (payload != null) {
                request.header("Content-Type", "application/json");
                request.method(method, HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            try {
                HttpResponse<String> response = http.send(request.build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (response.statusCode() != 503 || attempt >= MAX_ATTEMPTS || !waitToRetry(deadline, backoff)) {
                    return response;
                }
            } catch (HttpTimeoutException slow) {
                throw new CliException("no answer from " + base + " within " + seconds(timeout)
                        + " (--timeout)", CliException.UNREACHABLE);
            } catch (IOException failed) {
                // An unknown host name stays unknown for the seconds retries would take.
                if (attempt >= MAX_ATTEMPTS || unknownHost(failed) || !waitToRetry(deadline, backoff)) {
                    throw unreachable(failed, attempt);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted", CliException.FAILED);
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private boolean waitToRetry(final Deadline deadline, final Duration backoff) {
        if (deadline.remaining().compareTo(backoff) <= 0) {
            return false;
        }
        try {
            env.clock().sleep(backoff);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted", CliException.FAILED);
        }
        return true;
    }

    private static boolean unknownHost(final Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    private CliException unreachable(final IOException failure, final int attempts) {
        String reason = null;
        // The JDK's client wraps the interesting exception in a ConnectException without a message.
        for (Throwable t = failure; t != null && reason == null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                reason = t.getMessage();
            }
        }
        if (unknownHost(failure)) {
            reason = "unknown host " + base.getHost();
        } else if (reason == null && failure instanceof ConnectException) {
            reason = "connection refused";
        } else if (reason == null) {
            reason = failure.getClass().getSimpleName();
        }
        return new CliException("cannot reach the Keel API at " + base + " (" + reason + "; " + attempts
                + (attempts == 1 ? " attempt" : " attempts") + "); is the node running? Point --url or KEEL_URL "
                + "at a running node", CliException.UNREACHABLE);
    }

    private String authorization() {
        if (password == null) {
            password = passwordSource.get();
        }
        String pair = user + ":" + password.value();
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static String serialize(final JsonNode body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("a tree of JSON nodes always serializes", impossible);
        }
    }

    private static String seconds(final Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    /** A fresh JSON object for request bodies. */
    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** Renders {@code node} as indented JSON for {@code --json}. */
    public static String pretty(final JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("a tree of JSON nodes always serializes", impossible);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
