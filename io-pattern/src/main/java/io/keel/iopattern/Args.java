package io.keel.iopattern;

/** Argument checks and overflow-safe arithmetic shared by the module's classes. */
final class Args {

    private Args() {
    }

    /** Checks a byte range and returns its exclusive end. */
    static long rangeEnd(final long offset, final long length) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0: " + offset);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length must be > 0: " + length);
        }
        if (offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("offset + length overflows: " + offset + " + " + length);
        }
        return offset + length;
    }

    static long positive(final String name, final long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
        return value;
    }

    static long nonNegative(final String name, final long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0: " + value);
        }
        return value;
    }

    static long saturatingAdd(final long a, final long b) {
        long sum = a + b;
        // Overflow only when both operands share a sign that the sum lost.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    /** Whether at least {@code duration} has passed from {@code since} to {@code now}; time never runs backwards. */
    static boolean elapsed(final long since, final long now, final long duration) {
        if (now <= since) {
            return duration <= 0;
        }
        long delta = now - since;
        // A negative delta here means the true difference exceeds Long.MAX_VALUE.
        return delta < 0 || delta >= duration;
    }
}
