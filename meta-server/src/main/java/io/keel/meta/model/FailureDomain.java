package io.keel.meta.model;

/** The unit replicas of one extent must not share: a node, a rack or a site. */
public enum FailureDomain {
    NODE,
    RACK,
    SITE;

    /**
     * The failure-domain key of a node under this policy. A node that lacks the rack (or site)
     * label is its own domain: treating unlabelled nodes as one big domain would make a cluster
     * with no labels unplaceable, and guessing that they share hardware is not safer.
     */
    public String keyOf(final String nodeId, final NodeLabels labels) {
        final NodeLabels l = labels == null ? NodeLabels.NONE : labels;
        return switch (this) {
            case NODE -> "node:" + nodeId;
            case RACK -> l.rack() != null ? "rack:" + l.rack() : "node:" + nodeId;
            case SITE -> l.site() != null ? "site:" + l.site() : "node:" + nodeId;
        };
    }
}
