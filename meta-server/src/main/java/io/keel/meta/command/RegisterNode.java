package io.keel.meta.command;

import io.keel.meta.model.NodeLabels;
import io.keel.meta.model.NodeRole;
import java.util.List;

/**
 * Registers a node, or updates the name, addresses, labels and roles of a node already registered
 * under {@code nodeId} (a restarted node registers again). A new node starts UP at {@code at}.
 */
public record RegisterNode(String changeId, String nodeId, String name, String rpcAddress, String restAddress,
        NodeLabels labels, List<NodeRole> roles, long at) implements MetaCommand {
}
