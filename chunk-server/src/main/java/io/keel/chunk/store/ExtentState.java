package io.keel.chunk.store;

import java.util.Arrays;

/**
 * The in-memory state of one extent on its worker: epoch, version and the block map (block index
 * inside the extent to physical block, or {@link #UNMAPPED}). Only the owning worker touches it.
 */
final class ExtentState {

    static final int UNMAPPED = -1;

    private final long id;
    private long epoch;
    private long version;
    private final int[] blocks;
    private int mappedBlocks;

    ExtentState(final long id, final long epoch, final int blocksPerExtent) {
        this.id = id;
        this.epoch = epoch;
        this.blocks = new int[blocksPerExtent];
        Arrays.fill(blocks, UNMAPPED);
    }

    long id() {
        return id;
    }

    long epoch() {
        return epoch;
    }

    void epoch(final long value) {
        epoch = value;
    }

    long version() {
        return version;
    }

    void version(final long value) {
        version = value;
    }

    int blockCount() {
        return blocks.length;
    }

    int mappedBlocks() {
        return mappedBlocks;
    }

    /** The physical block behind {@code blockIndex}, or {@link #UNMAPPED}. */
    int block(final int blockIndex) {
        return blocks[blockIndex];
    }

    /** Points {@code blockIndex} at {@code physicalBlock} (or {@link #UNMAPPED}); returns the old value. */
    int map(final int blockIndex, final int physicalBlock) {
        int old = blocks[blockIndex];
        blocks[blockIndex] = physicalBlock;
        if (old == UNMAPPED && physicalBlock != UNMAPPED) {
            mappedBlocks++;
        } else if (old != UNMAPPED && physicalBlock == UNMAPPED) {
            mappedBlocks--;
        }
        return old;
    }
}
