package io.keel.meta.model;

/**
 * The lifecycle state of a volume. Creation and deletion are single log entries, so a volume that
 * exists is ACTIVE; the enum leaves room for states such as a background deletion.
 */
public enum VolumeState {
    ACTIVE
}
