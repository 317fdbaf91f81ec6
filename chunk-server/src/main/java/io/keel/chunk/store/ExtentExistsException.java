package io.keel.chunk.store;

import java.io.IOException;

/** An extent with that id already exists on this store. */
public final class ExtentExistsException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long extentId;

    public ExtentExistsException(final long extentId) {
        super("extent " + Long.toUnsignedString(extentId, 16) + " already exists on this store");
        this.extentId = extentId;
    }

    public long extentId() {
        return extentId;
    }
}
