package io.keel.meta.command;

import io.keel.meta.model.DiskRole;

/** Registers a disk of a registered node. */
public record RegisterDisk(String changeId, String diskId, String nodeId, String path, DiskRole role,
        long capacityBytes) implements MetaCommand {
}
