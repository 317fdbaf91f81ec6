package io.keel.meta.model;

/** Whether the cluster considers a node alive; only UP nodes receive new replicas. */
public enum NodeState {
    UP,
    DOWN
}
