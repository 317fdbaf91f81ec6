package io.keel.meta.command;

import io.keel.meta.model.NodeState;

/** Marks a node UP or DOWN, with a reason for the operator (may be empty). */
public record SetNodeState(String changeId, String nodeId, NodeState state, String reason, long at)
        implements MetaCommand {
}
