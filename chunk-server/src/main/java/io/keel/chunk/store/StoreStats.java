package io.keel.chunk.store;

/** Capacity and activity of a store at one moment. */
public record StoreStats(long totalBlocks, long freeBlocks, int blockSize, int extents, long dirtySectors,
        long checkpoints, long checksumErrors) {

    /** Free bytes, counting blocks that wait for the journal as used. */
    public long freeBytes() {
        return freeBlocks * blockSize;
    }
}
