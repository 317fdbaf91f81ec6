package io.keel.meta.model;

/** A disk of a node, identified by its device UUID. */
public record Disk(String id, String nodeId, String path, DiskRole role, long capacityBytes) {
}
