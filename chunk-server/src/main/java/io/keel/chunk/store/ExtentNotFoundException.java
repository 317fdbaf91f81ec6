package io.keel.chunk.store;

import java.io.IOException;

/** The extent does not exist on this store. */
public final class ExtentNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long extentId;

    public ExtentNotFoundException(final long extentId) {
        super("extent " + Long.toUnsignedString(extentId, 16) + " does not exist on this store");
        this.extentId = extentId;
    }

    public long extentId() {
        return extentId;
    }
}
