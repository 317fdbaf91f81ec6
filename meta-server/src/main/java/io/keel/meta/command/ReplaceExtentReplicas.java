package io.keel.meta.command;

import java.util.List;

/**
 * Gives an extent a new replica list (first = leader) and raises its epoch by one, fencing the old
 * leader; for failover and re-replication. Refused unless the extent's epoch is still
 * {@code expectedEpoch}, so two decisions based on the same view cannot both win.
 */
public record ReplaceExtentReplicas(String changeId, long extentId, long expectedEpoch, List<String> replicas)
        implements MetaCommand {
}
