package io.keel.appliance.api;

import io.keel.meta.command.ChangeResult;
import io.keel.meta.command.ErrorCode;
import io.keel.meta.command.MetaCommand;
import io.keel.meta.log.NotLeaderException;
import io.keel.meta.model.Node;
import io.keel.meta.server.MetaService;
import io.keel.meta.store.MetaReader;
import io.keel.runtime.time.Clock;
import jakarta.ws.rs.core.HttpHeaders;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What the REST resources need from the meta service, on the leader (requests reach other nodes
 * only to be forwarded): changes whose refusals become API errors, consistent reads, change ids
 * from the client's {@code Idempotency-Key}, and the clock for timestamps.
 */
public final class MetaGateway {

    /** The header a client sends to make a retried change happen once. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private static final int PLACEMENT_ATTEMPTS = 4;

    private final MetaService meta;
    private final Clock clock;

    /** A gateway to {@code meta}. */
    public MetaGateway(final MetaService meta, final Clock clock) {
        this.meta = meta;
        this.clock = clock;
    }

    /** Applies {@code command}; a refusal throws the matching {@link ApiException}. */
    public ChangeResult change(final MetaCommand command) {
        ChangeResult result = submit(command);
        if (!result.ok()) {
            throw ApiException.of(result.outcome(), result.message());
        }
        return result;
    }

    /**
     * Applies a change whose placement the leader computed, planning it again (under a derived
     * change id) when a node went down between planning and applying. A client's retry with the
     * same base id walks the same attempts, so it neither repeats nor loses the change.
     */
    public ChangeResult changeWithPlacement(final String baseId, final Function<String, MetaCommand> plan) {
        ChangeResult last = null;
        for (int attempt = 0; attempt < PLACEMENT_ATTEMPTS; attempt++) {
            String changeId = attempt == 0 ? baseId : baseId + ":replan-" + attempt;
            ChangeResult result = meta.read(view -> view.result(changeId)).orElse(null);
            if (result == null) {
                result = submit(plan.apply(changeId));
            }
            if (result.ok()) {
                return result;
            }
            last = result;
            if (!placementWentStale(result)) {
                break;
            }
        }
        throw ApiException.of(last.outcome(), last.message());
    }

    private ChangeResult submit(final MetaCommand command) {
        try {
            return meta.submit(command);
        } catch (NotLeaderException e) {
            throw ApiException.unavailable("the meta leader changed while handling the request; retry it: "
                    + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("the node is shutting down");
        }
    }

    /** The gateway while this node leads the meta servers; 503 otherwise. */
    public static MetaGateway onLeader(final Supplier<Optional<MetaGateway>> gateway) {
        return gateway.get().orElseThrow(() -> ApiException.unavailable("this node does not lead the meta servers"));
    }

    private static boolean placementWentStale(final ChangeResult result) {
        return result.outcome() == ErrorCode.STALE_PLACEMENT;
    }

    /** Runs {@code query} on one consistent view of the metadata. */
    public <T> T read(final Function<MetaReader, T> query) {
        return meta.read(query);
    }

    /**
     * The change id of a request: derived from the client's Idempotency-Key (so a retry is the
     * same change), else fresh.
     */
    public static String changeId(final HttpHeaders headers, final String operation) {
        String key = headers == null ? null : headers.getHeaderString(IDEMPOTENCY_KEY);
        if (key == null || key.isBlank()) {
            return "rest:" + operation + ":" + UUID.randomUUID();
        }
        if (key.length() > 80 || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw ApiException.invalid("Idempotency-Key must be 1-80 printable ASCII characters without spaces");
        }
        return "rest:" + operation + ":" + key;
    }

    /** Wall-clock milliseconds, for timestamps the leader records. */
    public long now() {
        return clock.epochMillis();
    }

    /** The meta service itself (liveness, leader). */
    public MetaService meta() {
        return meta;
    }

    /** Node names by node id, for showing replicas and serving nodes. */
    public static Map<String, String> nodeNames(final MetaReader view) {
        return view.nodes().stream().collect(Collectors.toMap(Node::id, Node::name));
    }

    /** The id of the node named {@code name}; 404 when there is none. */
    public static String nodeId(final MetaReader view, final String name) {
        return view.nodeByName(name).map(Node::id)
                .orElseThrow(() -> ApiException.notFound("node '" + name + "' does not exist"));
    }
}
