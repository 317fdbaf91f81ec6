package io.keel.meta.log;

/**
 * A replicated-log failure that retrying does not fix by itself: a batch or snapshot in
 * ZooKeeper that fails its checksum or has a newer format, a gap that no snapshot covers, local
 * state ahead of the log, or a state machine that threw while applying.
 */
public class MetaLogException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** A failure with its description. */
    public MetaLogException(final String message) {
        super(message);
    }

    /** A failure with its description and cause. */
    public MetaLogException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
