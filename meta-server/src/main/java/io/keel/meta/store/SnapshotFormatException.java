package io.keel.meta.store;

import java.io.IOException;

/** A metadata snapshot stream that is corrupt, truncated, of another version or another index. */
public final class SnapshotFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** With a message saying what is wrong. */
    public SnapshotFormatException(final String message) {
        super(message);
    }
}
