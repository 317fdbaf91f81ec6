package io.keel.chunk.store;

import io.keel.chunk.device.AlignedBuffers;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of direct, aligned buffers of one block each, for direct I/O: allocating direct
 * memory per request is slow and leaves its freeing to the garbage collector.
 */
final class BlockBuffers {

    private final int blockSize;
    private final int maxPooled;
    private final ConcurrentLinkedQueue<ByteBuffer> pool = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pooled = new AtomicInteger();

    BlockBuffers(final int blockSize, final int maxPooled) {
        this.blockSize = blockSize;
        this.maxPooled = maxPooled;
    }

    /** A cleared buffer of one block. */
    ByteBuffer acquire() {
        ByteBuffer buffer = pool.poll();
        if (buffer == null) {
            // Exactly one block: clear() must never widen a buffer past the block it is written to.
            return AlignedBuffers.allocate(blockSize);
        }
        pooled.decrementAndGet();
        return buffer.clear();
    }

    void release(final ByteBuffer buffer) {
        if (pooled.incrementAndGet() <= maxPooled) {
            pool.offer(buffer);
        } else {
            pooled.decrementAndGet();
        }
    }
}
