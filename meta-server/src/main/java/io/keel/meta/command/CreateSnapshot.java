package io.keel.meta.command;

/**
 * Snapshots a volume: every live extent gets a frozen copy with a new extent id, on the same
 * replicas, at the live extent's epoch.
 */
public record CreateSnapshot(String changeId, String snapshotId, String volumeId, String name, long at)
        implements MetaCommand {
}
