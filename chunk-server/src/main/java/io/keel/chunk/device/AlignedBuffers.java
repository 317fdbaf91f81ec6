package io.keel.chunk.device;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Allocation and checking of direct buffers whose address is a multiple of
 * {@link #ALIGNMENT}, the form O_DIRECT needs.
 */
public final class AlignedBuffers {

    /** Address, position and length alignment for direct I/O on every Keel device. */
    public static final int ALIGNMENT = 4096;

    private AlignedBuffers() {
    }

    /**
     * A direct, big-endian buffer of exactly {@code bytes} bytes (a multiple of {@link #ALIGNMENT})
     * whose first byte sits at an aligned address. The memory is freed when the buffer is
     * garbage collected.
     */
    public static ByteBuffer allocate(int bytes) {
        if (bytes <= 0 || bytes % ALIGNMENT != 0) {
            throw new IllegalArgumentException(
                    "aligned buffer size must be a positive multiple of " + ALIGNMENT + ", got " + bytes);
        }
        if (bytes > Integer.MAX_VALUE - ALIGNMENT) {
            throw new IllegalArgumentException("aligned buffer size " + bytes + " is too large");
        }
        // Over-allocate by one alignment unit and slice: allocateDirect gives no alignment guarantee.
        ByteBuffer slice = ByteBuffer.allocateDirect(bytes + ALIGNMENT - 1).alignedSlice(ALIGNMENT);
        return slice.limit(bytes).slice();
    }

    /** Address of the byte at {@code buffer}'s position (the buffer must be direct). */
    static long addressAtPosition(ByteBuffer buffer) {
        // ofBuffer starts the segment at the buffer's position, so this is where I/O starts.
        return MemorySegment.ofBuffer(buffer).address();
    }

    /** True when I/O can start at {@code buffer}'s position: direct and at an aligned address. */
    public static boolean isAligned(ByteBuffer buffer) {
        return buffer.isDirect() && addressAtPosition(buffer) % ALIGNMENT == 0;
    }
}
