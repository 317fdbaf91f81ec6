package io.keel.meta.placement;

import io.keel.meta.model.NodeLabels;

/**
 * A node placement may use: its labels, whether it is UP, and its free bytes (DATA capacity minus
 * the bytes of extents already placed on it; may be negative when thin volumes over-commit).
 */
public record Candidate(String nodeId, NodeLabels labels, boolean up, long freeBytes) {

    /** Normalises absent labels. */
    public Candidate {
        labels = labels == null ? NodeLabels.NONE : labels;
    }
}
