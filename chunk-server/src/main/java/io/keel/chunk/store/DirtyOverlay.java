package io.keel.chunk.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sectors whose newest data is durable in the journal but not yet written to their block in the
 * data area, keyed by global sector number (physical block × sectors per block + sector). Reads
 * take these sectors from memory; background apply writes them home and then drops them. Sector
 * arrays are never modified once inserted, so a snapshot of entries stays valid while apply runs.
 */
final class DirtyOverlay {

    private final int sectorsPerBlock;
    private final HashMap<Long, byte[]> sectors = new HashMap<>();

    DirtyOverlay(final int sectorsPerBlock) {
        this.sectorsPerBlock = sectorsPerBlock;
    }

    long key(final long block, final int sector) {
        return block * sectorsPerBlock + sector;
    }

    void put(final long block, final int sector, final byte[] data) {
        sectors.put(key(block, sector), data);
    }

    byte[] get(final long block, final int sector) {
        return sectors.get(key(block, sector));
    }

    void remove(final long block, final int sector) {
        sectors.remove(key(block, sector));
    }

    /** Drops every dirty sector of a block that was freed: its data must never be applied. */
    void removeBlock(final long block) {
        if (sectors.isEmpty()) {
            return;
        }
        for (int sector = 0; sector < sectorsPerBlock; sector++) {
            sectors.remove(key(block, sector));
        }
    }

    int size() {
        return sectors.size();
    }

    /** Every dirty sector now, sorted by position, for apply. */
    List<DirtySector> snapshot() {
        List<DirtySector> list = new ArrayList<>(sectors.size());
        for (Map.Entry<Long, byte[]> entry : sectors.entrySet()) {
            list.add(new DirtySector(entry.getKey(), entry.getValue()));
        }
        list.sort((a, b) -> Long.compare(a.globalSector(), b.globalSector()));
        return list;
    }

    /** Drops applied sectors unless a newer write replaced them meanwhile. */
    void removeApplied(final List<DirtySector> applied) {
        for (DirtySector sector : applied) {
            sectors.remove(sector.globalSector(), sector.data());
        }
    }

    /** One dirty sector: where it goes and its data. */
    record DirtySector(long globalSector, byte[] data) {
    }
}
