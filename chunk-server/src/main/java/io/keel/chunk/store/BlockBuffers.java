package io.keel.chunk.store;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of direct, aligned buffers of one block each, for direct I/O: allocating direct
 * memory per request is slow and leaves its freeing to the garbage collector.
 */
final class BlockBuffers {

    private final int blockSize;
    private final int alignment;
    private final int maxPooled;
    private final ConcurrentLinkedQueue<ByteBuffer> pool = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pooled = new AtomicInteger();

    BlockBuffers(final int blockSize, final int alignment, final int maxPooled) {
        this.blockSize = blockSize;
        this.alignment = alignment;
        this.maxPooled = maxPooled;
    }

    /** A cleared buffer of one block. */
    ByteBuffer acquire() {
        ByteBuffer buffer = pool.poll();
        if (buffer == null) {
            return ByteBuffer.allocateDirect(blockSize + alignment).alignedSlice(alignment).limit(blockSize);
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
