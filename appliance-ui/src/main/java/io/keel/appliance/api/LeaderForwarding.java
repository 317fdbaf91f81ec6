package io.keel.appliance.api;

import io.keel.meta.server.LeaderAddress;
import jakarta.annotation.Priority;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Sends API requests that reach a node which does not lead the meta servers on to the leader and
 * answers with the leader's response, so clients may talk to any node. The health check is
 * always answered locally; a request forwarded once is never forwarded again.
 */
@PreMatching
@Priority(100)
public final class LeaderForwarding implements ContainerRequestFilter {

    private static final String FORWARDED = "X-Keel-Forwarded-By";
    private static final List<String> COPIED_HEADERS = List.of("Authorization", "Content-Type", "Accept",
            MetaGateway.IDEMPOTENCY_KEY);

    private final BooleanSupplier leading;
    private final Supplier<Optional<LeaderAddress>> leader;
    private final String self;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** Forwards while {@code leading} is false to the REST URL of {@code leader}; {@code self} names this node. */
    public LeaderForwarding(final BooleanSupplier leading, final Supplier<Optional<LeaderAddress>> leader,
            final String self) {
        this.leading = leading;
        this.leader = leader;
        this.self = self;
    }

    @Override
    public void filter(final ContainerRequestContext request) throws IOException {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("api/v1/") || path.equals("api/v1/health") || leading.getAsBoolean()) {
            return;
        }
        if (request.getHeaderString(FORWARDED) != null) {
            request.abortWith(ApiException.unavailable("node " + request.getHeaderString(FORWARDED)
                    + " took this node for the meta leader, but it is not (an election is under way); retry")
                    .response());
            return;
        }
        Optional<LeaderAddress> target = leader.get();
        if (target.isEmpty() || target.get().nodeName().equals(self)) {
            request.abortWith(ApiException.unavailable("there is no meta leader right now; retry shortly").response());
            return;
        }
        String query = request.getUriInfo().getRequestUri().getRawQuery();
        URI uri = URI.create(target.get().restUrl() + "/" + path + (query == null ? "" : "?" + query));
        byte[] body = request.hasEntity() ? request.getEntityStream().readAllBytes() : new byte[0];
        HttpRequest.Builder forwarded = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .method(request.getMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .header(FORWARDED, self);
        for (String header : COPIED_HEADERS) {
            String value = request.getHeaderString(header);
            if (value != null) {
                forwarded.header(header, value);
            }
        }
        try {
            HttpResponse<byte[]> answer = http.send(forwarded.build(), HttpResponse.BodyHandlers.ofByteArray());
            Response.ResponseBuilder response = Response.status(answer.statusCode());
            answer.headers().firstValue("Content-Type").ifPresent(type -> response.header("Content-Type", type));
            answer.headers().firstValue("WWW-Authenticate").ifPresent(value -> response.header("WWW-Authenticate",
                    value));
            if (answer.body().length > 0) {
                response.entity(answer.body());
            }
            request.abortWith(response.build());
        } catch (IOException e) {
            request.abortWith(ApiException.unavailable("the meta leader " + target.get().nodeName()
                    + " did not answer (" + e.getMessage() + "); retry").response());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            request.abortWith(ApiException.unavailable("the node is shutting down").response());
        }
    }
}
