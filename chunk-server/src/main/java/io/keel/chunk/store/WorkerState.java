package io.keel.chunk.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;

/**
 * Everything one worker owns in memory: its extents, its allocation group and its dirty overlay.
 * Every mutation is a {@link StoreRecord} applied here, by the live path right after the record
 * is appended and by recovery while the journal replays, so both build the same state. Only the
 * worker's thread touches it; nothing here does I/O.
 */
final class WorkerState {

    private final int sectorSize;
    private final int sectorsPerBlock;
    private final int blocksPerExtent;
    private final BlockGroup group;
    private final DirtyOverlay overlay;
    private final HashMap<Long, ExtentState> extents = new HashMap<>();
    private long mappedReferences;

    WorkerState(final BlockGroup group, final int sectorSize, final int blocksPerExtent) {
        this.group = group;
        this.sectorSize = sectorSize;
        this.sectorsPerBlock = group.sectorsPerBlock();
        this.blocksPerExtent = blocksPerExtent;
        this.overlay = new DirtyOverlay(sectorsPerBlock);
    }

    BlockGroup group() {
        return group;
    }

    DirtyOverlay overlay() {
        return overlay;
    }

    int sectorSize() {
        return sectorSize;
    }

    int sectorsPerBlock() {
        return sectorsPerBlock;
    }

    int blocksPerExtent() {
        return blocksPerExtent;
    }

    /** Sum over extents of mapped blocks: shared blocks count once per extent. */
    long mappedReferences() {
        return mappedReferences;
    }

    ExtentState extent(final long extentId) throws ExtentNotFoundException {
        ExtentState extent = extents.get(extentId);
        if (extent == null) {
            throw new ExtentNotFoundException(extentId);
        }
        return extent;
    }

    boolean hasExtent(final long extentId) {
        return extents.containsKey(extentId);
    }

    Collection<ExtentState> extents() {
        return extents.values();
    }

    /** Applies one record; blocks it frees are quarantined until {@code sequence} is durable (0: free now). */
    void apply(final StoreRecord record, final long sequence) {
        switch (record) {
            case StoreRecord.Create r -> create(r.extentId(), r.epoch());
            case StoreRecord.Delete r -> delete(r.extentId(), sequence);
            case StoreRecord.AdvanceEpoch r -> existing(r.extentId()).epoch(Math.max(r.epoch(),
                    existing(r.extentId()).epoch()));
            case StoreRecord.Write r -> write(r);
            case StoreRecord.Map r -> map(r, sequence, false);
            case StoreRecord.Unmap r -> unmap(r, sequence);
            case StoreRecord.ClearSectors r -> clearSectors(r);
            case StoreRecord.Snapshot r -> snapshot(r);
        }
    }

    /**
     * Applies a map record whose block the live path already allocated (it was reserved while
     * its data was written off the worker).
     */
    void applyReservedMap(final StoreRecord.Map record, final long sequence) {
        map(record, sequence, true);
    }

    private ExtentState existing(final long extentId) {
        ExtentState extent = extents.get(extentId);
        if (extent == null) {
            throw new IllegalStateException("record for extent " + Long.toUnsignedString(extentId, 16)
                    + " which does not exist");
        }
        return extent;
    }

    private void create(final long extentId, final long epoch) {
        if (extents.containsKey(extentId)) {
            throw new IllegalStateException("extent " + Long.toUnsignedString(extentId, 16) + " created twice");
        }
        extents.put(extentId, new ExtentState(extentId, epoch, blocksPerExtent));
    }

    private void delete(final long extentId, final long sequence) {
        ExtentState extent = existing(extentId);
        for (int index = 0; index < extent.blockCount(); index++) {
            int block = extent.map(index, ExtentState.UNMAPPED);
            if (block != ExtentState.UNMAPPED) {
                mappedReferences--;
                release(block, sequence);
            }
        }
        extents.remove(extentId);
    }

    private void write(final StoreRecord.Write record) {
        ExtentState extent = existing(record.extentId());
        int current = extent.block(record.blockIndex());
        if (current == ExtentState.UNMAPPED) {
            group.claim(record.block());
            extent.map(record.blockIndex(), record.block());
            mappedReferences++;
        } else if (current != record.block()) {
            throw new IllegalStateException("write record for block " + record.block() + " but extent "
                    + Long.toUnsignedString(record.extentId(), 16) + " maps index " + record.blockIndex()
                    + " to block " + current);
        } else if (group.references(current) != 1) {
            throw new IllegalStateException("journaled write into shared block " + current);
        }
        for (int i = 0; i < record.crcs().length; i++) {
            int sector = record.firstSector() + i;
            group.setSector(record.block(), sector, record.crcs()[i]);
            overlay.put(record.block(), sector, record.sectors()[i]);
        }
        bumpVersion(extent, record.version());
    }

    private void map(final StoreRecord.Map record, final long sequence, final boolean reserved) {
        ExtentState extent = existing(record.extentId());
        if (!reserved) {
            group.claim(record.block());
        }
        overlay.removeBlock(record.block());
        for (int sector = 0; sector < sectorsPerBlock; sector++) {
            if ((record.writtenSectors() & (1L << sector)) != 0) {
                group.setSector(record.block(), sector, record.crcs()[sector]);
            } else {
                group.clearSector(record.block(), sector);
            }
        }
        int old = extent.map(record.blockIndex(), record.block());
        if (old == ExtentState.UNMAPPED) {
            mappedReferences++;
        } else {
            release(old, sequence);
        }
        bumpVersion(extent, record.version());
    }

    private void unmap(final StoreRecord.Unmap record, final long sequence) {
        ExtentState extent = existing(record.extentId());
        for (int index = record.firstBlockIndex(); index < record.firstBlockIndex() + record.blockCount(); index++) {
            int old = extent.map(index, ExtentState.UNMAPPED);
            if (old != ExtentState.UNMAPPED) {
                mappedReferences--;
                release(old, sequence);
            }
        }
        bumpVersion(extent, record.version());
    }

    private void clearSectors(final StoreRecord.ClearSectors record) {
        ExtentState extent = existing(record.extentId());
        int block = extent.block(record.blockIndex());
        if (block == ExtentState.UNMAPPED || group.references(block) != 1) {
            throw new IllegalStateException("clear-sectors record for an unmapped or shared block " + block);
        }
        for (int sector = record.firstSector(); sector < record.firstSector() + record.sectorCount(); sector++) {
            group.clearSector(block, sector);
            overlay.remove(block, sector);
        }
        bumpVersion(extent, record.version());
    }

    private void snapshot(final StoreRecord.Snapshot record) {
        ExtentState parent = existing(record.parentId());
        create(record.childId(), record.epoch());
        ExtentState child = extents.get(record.childId());
        for (int index = 0; index < parent.blockCount(); index++) {
            int block = parent.block(index);
            if (block != ExtentState.UNMAPPED) {
                group.addReference(block);
                child.map(index, block);
                mappedReferences++;
            }
        }
        child.version(parent.version());
        bumpVersion(parent, parent.version() + 1);
    }

    private void release(final int block, final long sequence) {
        if (group.dropReference(block, sequence)) {
            overlay.removeBlock(block);
        }
    }

    private static void bumpVersion(final ExtentState extent, final long version) {
        extent.version(Math.max(extent.version(), version));
    }

    /** Restores an extent from a checkpoint. */
    void restoreExtent(final long extentId, final long epoch, final long version, final int[] blockIndexes,
            final int[] blocks) {
        ExtentState extent = new ExtentState(extentId, epoch, blocksPerExtent);
        extent.version(version);
        for (int i = 0; i < blockIndexes.length; i++) {
            extent.map(blockIndexes[i], blocks[i]);
            mappedReferences++;
        }
        extents.put(extentId, extent);
    }

    /**
     * Blocks some extent maps, ascending, for checkpoints. Blocks reserved for a direct write in
     * flight are left out: until their map record they belong to no one, and are free after a crash.
     */
    List<Integer> mappedBlocks() {
        java.util.BitSet mapped = new java.util.BitSet(group.blockCount());
        for (ExtentState extent : extents.values()) {
            for (int index = 0; index < extent.blockCount(); index++) {
                int block = extent.block(index);
                if (block != ExtentState.UNMAPPED) {
                    mapped.set((int) (block - group.firstBlock()));
                }
            }
        }
        List<Integer> blocks = new ArrayList<>(mapped.cardinality());
        for (int i = mapped.nextSetBit(0); i >= 0; i = mapped.nextSetBit(i + 1)) {
            blocks.add((int) (group.firstBlock() + i));
        }
        return blocks;
    }
}
