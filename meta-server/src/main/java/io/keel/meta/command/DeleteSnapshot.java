package io.keel.meta.command;

/** Deletes a snapshot and its frozen extents. */
public record DeleteSnapshot(String changeId, String snapshotId) implements MetaCommand {
}
