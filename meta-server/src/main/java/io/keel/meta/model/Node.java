package io.keel.meta.model;

import java.util.List;

/**
 * A registered cluster node. Addresses are {@code host:port}; {@code stateReason} says why the
 * node last changed state (may be empty); times are epoch milliseconds chosen by the leader.
 */
public record Node(String id, String name, String rpcAddress, String restAddress, NodeLabels labels,
        List<NodeRole> roles, NodeState state, String stateReason, long registeredAt, long stateChangedAt) {

    /** Normalises absent labels and roles and freezes the role list. */
    public Node {
        labels = labels == null ? NodeLabels.NONE : labels;
        roles = roles == null ? List.of() : List.copyOf(roles);
    }

    /** Whether the node is UP. */
    public boolean up() {
        return state == NodeState.UP;
    }
}
