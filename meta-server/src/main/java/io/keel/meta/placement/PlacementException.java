package io.keel.meta.placement;

/** Placement is impossible; {@link #reason} says why, the message names the numbers. */
public final class PlacementException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why placement failed. */
    public enum Reason {
        /** Fewer distinct UP failure domains than the replication factor. */
        TOO_FEW_DOMAINS,
        /** Enough domains, but not enough nodes with room in distinct domains. */
        INSUFFICIENT_CAPACITY,
        /** The request itself is malformed (unknown pool, bad sizes). */
        INVALID_REQUEST
    }

    private final Reason reason;

    /** With the reason and a message for the operator. */
    public PlacementException(final Reason reason, final String message) {
        super(message);
        this.reason = reason;
    }

    /** Why placement failed. */
    public Reason reason() {
        return reason;
    }
}
