package io.keel.meta.log;

/**
 * Data in ZooKeeper that this member refuses to apply: a bad checksum, a bad length, a batch that
 * does not continue its predecessor, or a format version newer than this build understands.
 */
public final class LogFormatException extends MetaLogException {

    private static final long serialVersionUID = 1L;

    /** A refusal naming the znode and what is wrong with it. */
    public LogFormatException(final String message) {
        super(message);
    }
}
