package io.keel.chunk.store;

import java.util.ArrayDeque;

/**
 * One worker's allocation group: a contiguous run of physical blocks with, per block, a
 * reference count (how many extents map it), which sectors were ever written and each sector's
 * CRC32C. Blocks whose count drops to zero are quarantined until the journal record that freed
 * them is durable, so a crash can never hand a block back to its old owner after a new owner
 * wrote into it. Only the owning worker's thread touches a group.
 */
final class BlockGroup {

    /** Reference count of a block that is free in memory but not yet durably free. */
    private static final int QUARANTINED = -1;

    private final long firstBlock;
    private final int blockCount;
    private final int sectorsPerBlock;
    private final int[] references;
    private final long[] writtenSectors;
    private final int[] sectorCrcs;
    private final ArrayDeque<long[]> quarantine = new ArrayDeque<>();
    private int freeBlocks;
    private int cursor;

    BlockGroup(final long firstBlock, final int blockCount, final int sectorsPerBlock) {
        if (sectorsPerBlock < 1 || sectorsPerBlock > Long.SIZE) {
            throw new IllegalArgumentException("a block holds 1.." + Long.SIZE + " sectors, not " + sectorsPerBlock);
        }
        this.firstBlock = firstBlock;
        this.blockCount = blockCount;
        this.sectorsPerBlock = sectorsPerBlock;
        this.references = new int[blockCount];
        this.writtenSectors = new long[blockCount];
        this.sectorCrcs = new int[blockCount * sectorsPerBlock];
        this.freeBlocks = blockCount;
    }

    long firstBlock() {
        return firstBlock;
    }

    int blockCount() {
        return blockCount;
    }

    int sectorsPerBlock() {
        return sectorsPerBlock;
    }

    /** Blocks that can be allocated now (quarantined ones not included). */
    int freeBlocks() {
        return freeBlocks;
    }

    /** Blocks quarantined until their freeing record is durable. */
    int quarantinedBlocks() {
        return quarantine.size();
    }

    boolean contains(final long block) {
        return block >= firstBlock && block < firstBlock + blockCount;
    }

    /** Takes a free block (reference count 1, no sector written) or throws when none is left. */
    long allocate() throws StoreFullException {
        long block = findFree();
        claim(block);
        return block;
    }

    /** A free block, without taking it (a record that claims it is applied next). */
    long findFree() throws StoreFullException {
        if (freeBlocks == 0) {
            throw new StoreFullException("allocation group at block " + firstBlock + " has no free block ("
                    + blockCount + " blocks, " + quarantine.size() + " waiting for the journal)");
        }
        for (int scanned = 0; scanned < blockCount; scanned++) {
            int index = cursor;
            cursor = cursor + 1 == blockCount ? 0 : cursor + 1;
            if (references[index] == 0) {
                return firstBlock + index;
            }
        }
        throw new IllegalStateException("free block count " + freeBlocks + " but no free block found");
    }

    /** Takes the given block, which must be free: replay re-does an allocation the journal recorded. */
    void claim(final long block) {
        int index = index(block);
        if (references[index] != 0) {
            throw new IllegalStateException("block " + block + " is in use (references " + references[index] + ")");
        }
        claimIndex(index);
    }

    private void claimIndex(final int index) {
        references[index] = 1;
        writtenSectors[index] = 0;
        java.util.Arrays.fill(sectorCrcs, index * sectorsPerBlock, (index + 1) * sectorsPerBlock, 0);
        freeBlocks--;
    }

    int references(final long block) {
        return Math.max(0, references[index(block)]);
    }

    void addReference(final long block) {
        int index = index(block);
        if (references[index] <= 0) {
            throw new IllegalStateException("block " + block + " is not allocated");
        }
        references[index]++;
    }

    /**
     * Drops one reference. At zero the block is quarantined until {@code freeingSequence} is
     * durable ({@link #releaseQuarantined}); a sequence of 0 frees it at once (replay, where every
     * record is durable already). Returns true when the block lost its last reference.
     */
    boolean dropReference(final long block, final long freeingSequence) {
        int index = index(block);
        if (references[index] <= 0) {
            throw new IllegalStateException("block " + block + " has no reference to drop");
        }
        if (--references[index] > 0) {
            return false;
        }
        if (freeingSequence == 0) {
            freeBlocks++;
        } else {
            references[index] = QUARANTINED;
            quarantine.add(new long[] {freeingSequence, block});
        }
        return true;
    }

    /** Frees quarantined blocks whose freeing record is at or below {@code durableSequence}. */
    int releaseQuarantined(final long durableSequence) {
        int released = 0;
        while (!quarantine.isEmpty() && quarantine.peek()[0] <= durableSequence) {
            long block = quarantine.poll()[1];
            references[index(block)] = 0;
            freeBlocks++;
            released++;
        }
        return released;
    }

    /** Mask of sectors ever written in the block (bit i = sector i). */
    long writtenSectors(final long block) {
        return writtenSectors[index(block)];
    }

    int sectorCrc(final long block, final int sector) {
        return sectorCrcs[index(block) * sectorsPerBlock + checkSector(sector)];
    }

    void setSector(final long block, final int sector, final int crc) {
        int index = index(block);
        writtenSectors[index] |= 1L << checkSector(sector);
        sectorCrcs[index * sectorsPerBlock + sector] = crc;
    }

    void clearSector(final long block, final int sector) {
        int index = index(block);
        writtenSectors[index] &= ~(1L << checkSector(sector));
        sectorCrcs[index * sectorsPerBlock + sector] = 0;
    }

    /** Copies the written-sector mask and checksums of {@code from} onto {@code to}. */
    void copySectors(final long from, final long to) {
        int source = index(from);
        int target = index(to);
        writtenSectors[target] = writtenSectors[source];
        System.arraycopy(sectorCrcs, source * sectorsPerBlock, sectorCrcs, target * sectorsPerBlock, sectorsPerBlock);
    }

    private int index(final long block) {
        if (!contains(block)) {
            throw new IllegalArgumentException("block " + block + " is outside allocation group ["
                    + firstBlock + ", " + (firstBlock + blockCount) + ")");
        }
        return (int) (block - firstBlock);
    }

    private int checkSector(final int sector) {
        if (sector < 0 || sector >= sectorsPerBlock) {
            throw new IllegalArgumentException("sector " + sector + " outside a block of " + sectorsPerBlock);
        }
        return sector;
    }
}
