package io.keel.meta.model;

/**
 * The placement labels of a node: its rack and site, each {@code null} when not set. A node
 * without the label a pool's failure domain uses forms a failure domain of its own.
 */
public record NodeLabels(String rack, String site) {

    /** No labels. */
    public static final NodeLabels NONE = new NodeLabels(null, null);
}
