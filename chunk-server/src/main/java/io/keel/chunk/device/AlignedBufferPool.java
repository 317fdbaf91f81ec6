package io.keel.chunk.device;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A bounded pool of reusable aligned direct buffers of one size. Buffers are allocated lazily up
 * to the bound; {@link #acquire()} waits while all of them are out. Direct memory is freed only by
 * the garbage collector, so reusing buffers keeps it from piling up under heavy I/O.
 */
public final class AlignedBufferPool {

    private final int bufferBytes;
    private final int maxBuffers;
    private final BlockingQueue<ByteBuffer> free;
    // Identity sets: ByteBuffer.equals compares contents, which says nothing about ownership.
    private final Set<ByteBuffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<ByteBuffer> out = Collections.newSetFromMap(new IdentityHashMap<>());

    /** A pool of at most {@code maxBuffers} buffers of {@code bufferBytes} each. */
    public AlignedBufferPool(int bufferBytes, int maxBuffers) {
        if (bufferBytes <= 0 || bufferBytes % AlignedBuffers.ALIGNMENT != 0) {
            throw new IllegalArgumentException("pool buffer size must be a positive multiple of "
                    + AlignedBuffers.ALIGNMENT + ", got " + bufferBytes);
        }
        if (maxBuffers < 1) {
            throw new IllegalArgumentException("pool needs at least one buffer, got " + maxBuffers);
        }
        this.bufferBytes = bufferBytes;
        this.maxBuffers = maxBuffers;
        this.free = new ArrayBlockingQueue<>(maxBuffers);
    }

    /** Bytes in each buffer. */
    public int bufferBytes() {
        return bufferBytes;
    }

    /** A cleared buffer, allocating one if the bound allows, else waiting for a release. */
    public ByteBuffer acquire() throws InterruptedException {
        ByteBuffer buffer = tryAcquire();
        if (buffer == null) {
            buffer = free.take();
            markOut(buffer);
        }
        return buffer.clear();
    }

    /** A cleared buffer if one is free or may be allocated, else null. */
    public ByteBuffer tryAcquire() {
        ByteBuffer buffer = free.poll();
        if (buffer == null) {
            synchronized (owned) {
                if (owned.size() >= maxBuffers) {
                    return null;
                }
                buffer = AlignedBuffers.allocate(bufferBytes);
                owned.add(buffer);
            }
        }
        markOut(buffer);
        return buffer.clear();
    }

    /** Gives {@code buffer} back; it must have come from this pool and be out. */
    public void release(ByteBuffer buffer) {
        synchronized (owned) {
            if (!owned.contains(buffer)) {
                throw new IllegalArgumentException("buffer was not acquired from this pool");
            }
            if (!out.remove(buffer)) {
                throw new IllegalStateException("buffer released twice");
            }
        }
        free.add(buffer);
    }

    private void markOut(ByteBuffer buffer) {
        synchronized (owned) {
            out.add(buffer);
        }
    }
}
