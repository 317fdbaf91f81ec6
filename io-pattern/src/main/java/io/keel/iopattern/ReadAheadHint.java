package io.keel.iopattern;

/**
 * A range worth prefetching now, or {@link #NONE}.
 *
 * @param offset first byte to prefetch
 * @param length bytes to prefetch; zero only for {@link #NONE}
 */
public record ReadAheadHint(long offset, long length) {

    /** Nothing to prefetch. */
    public static final ReadAheadHint NONE = new ReadAheadHint(0, 0);

    /** Validates the range. */
    public ReadAheadHint {
        if (length == 0) {
            if (offset != 0) {
                throw new IllegalArgumentException("an empty hint is NONE, at offset 0: " + offset);
            }
        } else {
            Args.rangeEnd(offset, length);
        }
    }

    /** Whether there is nothing to prefetch. */
    public boolean isNone() {
        return length == 0;
    }

    /** Exclusive end of the range. */
    public long end() {
        return offset + length;
    }
}
