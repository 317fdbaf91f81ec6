package io.keel.chunk.device;

import java.nio.ByteBuffer;

/** Test helper: deterministic byte patterns keyed by a seed. */
final class TestData {

    private TestData() {
    }

    static void fill(ByteBuffer buffer, long seed) {
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = buffer.position(); i < buffer.limit(); i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            buffer.putLong(i, x);
        }
    }

    static ByteBuffer pattern(int bytes, long seed) {
        ByteBuffer buffer = AlignedBuffers.allocate(bytes);
        fill(buffer, seed);
        return buffer;
    }
}
