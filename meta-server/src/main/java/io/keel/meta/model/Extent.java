package io.keel.meta.model;

import java.util.List;

/**
 * A slice of a volume, the unit of placement: its cluster-unique id, the volume and index it
 * belongs to, the ordered replica node ids, the leader (the first replica at creation) and the
 * fencing epoch (starts at 1). {@code snapshotId} is {@code null} for a live extent of the volume
 * and names the snapshot for a frozen copy.
 */
public record Extent(long id, String volumeId, long index, List<String> replicas, String leader, long epoch,
        String snapshotId) {

    /** Freezes the replica list. */
    public Extent {
        replicas = List.copyOf(replicas);
    }
}
