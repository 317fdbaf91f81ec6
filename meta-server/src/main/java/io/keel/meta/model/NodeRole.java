package io.keel.meta.model;

/** The servers a node runs. */
public enum NodeRole {
    META,
    CHUNK,
    ACCESS
}
