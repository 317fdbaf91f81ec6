package io.keel.meta.model;

/** THIN volumes take space as they are written; THICK volumes reserve their size times the replication factor. */
public enum Provisioning {
    THIN,
    THICK
}
