package io.keel.chunk.store;

import java.io.IOException;

/**
 * A request carried an epoch older than the extent's: it comes from a deposed leader and is
 * refused, which fences that leader out.
 */
public final class StaleEpochException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long extentId;
    private final long requestEpoch;
    private final long currentEpoch;

    public StaleEpochException(final long extentId, final long requestEpoch, final long currentEpoch) {
        super("extent " + Long.toUnsignedString(extentId, 16) + " is at epoch " + currentEpoch
                + "; a request with epoch " + requestEpoch + " is refused");
        this.extentId = extentId;
        this.requestEpoch = requestEpoch;
        this.currentEpoch = currentEpoch;
    }

    public long extentId() {
        return extentId;
    }

    public long requestEpoch() {
        return requestEpoch;
    }

    /** The extent's epoch when the request was refused. */
    public long currentEpoch() {
        return currentEpoch;
    }
}
