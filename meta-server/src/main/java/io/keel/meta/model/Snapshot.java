package io.keel.meta.model;

import java.util.List;

/**
 * A point-in-time copy of a volume: its frozen extents (ids in extent-index order), which the
 * chunk servers create with {@code ExtentStore.snapshot(liveId, frozenId, epoch)}.
 */
public record Snapshot(String id, String name, String volumeId, long createdAt, long sizeBytes,
        List<Long> extentIds) {

    /** Freezes the extent list. */
    public Snapshot {
        extentIds = List.copyOf(extentIds);
    }
}
