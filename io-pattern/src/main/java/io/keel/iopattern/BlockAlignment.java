package io.keel.iopattern;

/** Arithmetic on block boundaries, overflow-checked, for any positive block size. */
public final class BlockAlignment {

    private BlockAlignment() {
    }

    /** Whether {@code [offset, offset + length)} is exactly a run of whole blocks. */
    public static boolean coversWholeBlocks(final long offset, final long length, final long blockSize) {
        Args.rangeEnd(offset, length);
        Args.positive("blockSize", blockSize);
        return offset % blockSize == 0 && length % blockSize == 0;
    }

    /** The largest block boundary at or below {@code offset}. */
    public static long alignDown(final long offset, final long blockSize) {
        Args.nonNegative("offset", offset);
        Args.positive("blockSize", blockSize);
        return offset - offset % blockSize;
    }

    /** The smallest block boundary at or above {@code offset}; throws if it does not fit in a long. */
    public static long alignUp(final long offset, final long blockSize) {
        long down = alignDown(offset, blockSize);
        if (down == offset) {
            return offset;
        }
        if (down > Long.MAX_VALUE - blockSize) {
            throw new IllegalArgumentException("aligning " + offset + " up to " + blockSize + " overflows");
        }
        return down + blockSize;
    }

    /** Number of whole blocks inside {@code [offset, offset + length)}. */
    public static long wholeBlocks(final long offset, final long length, final long blockSize) {
        long end = Args.rangeEnd(offset, length);
        Args.positive("blockSize", blockSize);
        long first = offset / blockSize + (offset % blockSize == 0 ? 0 : 1);
        long last = end / blockSize;
        return Math.max(0, last - first);
    }
}
