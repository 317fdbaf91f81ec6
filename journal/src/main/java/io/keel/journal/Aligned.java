package io.keel.journal;

import java.nio.ByteBuffer;

/** Arithmetic and buffers for block-aligned I/O. */
final class Aligned {

    private Aligned() {
    }

    /** A direct buffer of {@code bytes} (rounded up to a block) whose address is block-aligned. */
    static ByteBuffer allocate(final long bytes, final int block) {
        long rounded = up(bytes, block);
        if (rounded + block > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("buffer of " + bytes + " bytes is too large");
        }
        // alignedSlice keeps every aligned byte it can, up to a block more than asked for; a
        // header write of that size would run into the next block.
        return ByteBuffer.allocateDirect((int) rounded + block).alignedSlice(block).slice(0, (int) rounded);
    }

    static long up(final long value, final int block) {
        return (value + block - 1) & -block;
    }

    static long down(final long value, final int block) {
        return value & -block;
    }
}
