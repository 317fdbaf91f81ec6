package io.keel.iopattern;

/**
 * How one observed I/O was classified, with the stream it was attributed to (the I/O included).
 *
 * @param sequential        whether the I/O continues an established stream
 * @param streamStartOffset offset of the stream's first I/O
 * @param streamBytes       bytes the stream's I/Os have covered (saturates at {@code Long.MAX_VALUE})
 * @param runLength         I/Os in the stream (saturates at {@code Integer.MAX_VALUE})
 */
public record AccessPattern(boolean sequential, long streamStartOffset, long streamBytes, int runLength) {

    /** Validates the fields. */
    public AccessPattern {
        Args.nonNegative("streamStartOffset", streamStartOffset);
        Args.positive("streamBytes", streamBytes);
        Args.positive("runLength", runLength);
    }
}
