package io.keel.chunk.store;

import java.io.IOException;

/** No free block is left where a write needs one (the SCSI answer is "space allocation failed"). */
public final class StoreFullException extends IOException {
    private static final long serialVersionUID = 1L;

    public StoreFullException(final String message) {
        super(message);
    }
}
