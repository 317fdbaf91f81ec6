package io.keel.meta.command;

import io.keel.meta.model.NodeLabels;

/**
 * Replaces a node's rack and site labels. Existing replicas are not moved: extents whose replicas
 * now share a domain are for re-replication to fix.
 */
public record UpdateNodeLabels(String changeId, String nodeId, NodeLabels labels) implements MetaCommand {
}
