package io.keel.chunk.store;

/**
 * Capacity and activity of a store at one moment. {@code releasingBlocks} were freed by a record
 * the journal has not flushed yet (or while a checkpoint runs) and become free shortly.
 */
public record StoreStats(long totalBlocks, long freeBlocks, long releasingBlocks, int blockSize, int extents,
        long dirtySectors, long checkpoints, long checksumErrors) {

    /** Free bytes, counting blocks that wait for the journal as used. */
    public long freeBytes() {
        return freeBlocks * blockSize;
    }
}
