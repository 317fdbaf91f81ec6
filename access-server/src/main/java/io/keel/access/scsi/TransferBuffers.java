package io.keel.access.scsi;

import io.keel.chunk.device.AlignedBufferPool;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Aligned direct buffers lent for the data of one command: a READ's data-in, which the store then
 * fills with one pread per run of adjacent sectors and the transport sends to the socket as it is,
 * and large reads that the volume client stages. Two pools, one for transfers up to 64 KiB and one
 * up to 1 MiB, shared by the process so their off-heap memory has one bound (at most 24 MiB,
 * allocated as load needs it). A caller that finds them all lent, or needs more than 1 MiB, works
 * with a heap buffer instead.
 */
public final class TransferBuffers {

    /** The largest transfer a lent buffer holds. */
    public static final int LARGEST = 1 << 20;
    private static final int SMALL = 64 << 10;
    private static final TransferBuffers SHARED = new TransferBuffers(128, 16);

    private final AlignedBufferPool small;
    private final AlignedBufferPool large;
    private final AtomicInteger lent = new AtomicInteger();

    private TransferBuffers(final int smallBuffers, final int largeBuffers) {
        this.small = new AlignedBufferPool(SMALL, smallBuffers);
        this.large = new AlignedBufferPool(LARGEST, largeBuffers);
    }

    /** The process's buffers. */
    public static TransferBuffers shared() {
        return SHARED;
    }

    /** A buffer for {@code bytes} (1 to {@link #LARGEST}), or null when none is free or it is too large. */
    public Lease tryLend(final int bytes) {
        if (bytes <= 0 || bytes > LARGEST) {
            return null;
        }
        AlignedBufferPool pool = bytes <= SMALL ? small : large;
        ByteBuffer pooled = pool.tryAcquire();
        if (pooled == null) {
            return null;
        }
        lent.incrementAndGet();
        return new Lease(this, pool, pooled, bytes);
    }

    /** Buffers lent and not yet given back (a gauge: stuck high means a holder forgot to release). */
    public int lent() {
        return lent.get();
    }

    /** One lent buffer; {@link #release} gives it back (once, after the last use of {@link #buffer}). */
    public static final class Lease {
        private final TransferBuffers owner;
        private final AlignedBufferPool pool;
        private final ByteBuffer pooled;
        private final int bytes;

        private Lease(final TransferBuffers owner, final AlignedBufferPool pool, final ByteBuffer pooled,
                final int bytes) {
            this.owner = owner;
            this.pool = pool;
            this.pooled = pooled;
            this.bytes = bytes;
        }

        /** The lent bytes: a fresh view from position 0 to the size asked for. */
        public ByteBuffer buffer() {
            return pooled.slice(0, bytes);
        }

        /** Gives the buffer back to its pool. */
        public void release() {
            pool.release(pooled);
            owner.lent.decrementAndGet();
        }
    }
}
