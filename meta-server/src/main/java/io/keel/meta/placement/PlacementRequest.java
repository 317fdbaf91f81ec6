package io.keel.meta.placement;

import io.keel.meta.model.FailureDomain;
import java.util.List;

/**
 * What to place: {@code extentCount} extents of {@code extentSize} bytes with
 * {@code replicationFactor} replicas on distinct {@code failureDomain}s among {@code candidates},
 * the {@code preferredNode} (or {@code null}) first when it can take them. With
 * {@code requireRoom} (thick volumes) a node takes a replica only while its free bytes cover it;
 * without (thin volumes) free bytes only steer the balance.
 */
public record PlacementRequest(int replicationFactor, FailureDomain failureDomain, List<Candidate> candidates,
        int extentCount, long extentSize, String preferredNode, boolean requireRoom) {

    /** Freezes the candidate list. */
    public PlacementRequest {
        candidates = List.copyOf(candidates);
    }
}
