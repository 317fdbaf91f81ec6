package io.keel.chunk.store;

import io.keel.chunk.store.PowerLossTest.ExtentModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One thread of the power-loss workload. It alone mutates the extents it owns, one operation at
 * a time, so its model is exact: acknowledged operations update {@link ExtentModel#acked}, and the
 * one operation that fails because power was cut is recorded as "maybe" (an alternative per
 * sector, or an extent that may or may not exist).
 */
final class PowerLossActor implements Runnable {

    private static final int MAX_EXTENTS = 3;
    private static final int MAX_OPERATIONS = 4000;
    private static final int SECTOR = PowerLossTest.SECTOR;
    private static final int BLOCK_SECTORS = PowerLossTest.BLOCK_SECTORS;

    private final ChunkStore store;
    private final PowerLossDevice device;
    private final Map<Long, ExtentModel> model;
    private final List<ExtentModel> owned;
    private final AtomicLong writeIds;
    private final Random random;
    private long nextId;
    private long sequentialNext = -1;
    private ExtentModel sequentialExtent;
    long acknowledged;
    /** Operations refused because the store was full. */
    long full;
    /** An error before power was cut, or a wrong live read. */
    volatile Throwable failure;

    PowerLossActor(final ChunkStore store, final PowerLossDevice device, final Map<Long, ExtentModel> model,
            final List<ExtentModel> owned, final long idBase, final AtomicLong writeIds, final long seed) {
        this.store = store;
        this.device = device;
        this.model = model;
        this.owned = new java.util.ArrayList<>(owned);
        this.nextId = idBase;
        this.writeIds = writeIds;
        this.random = new Random(seed);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("next id ").append(Long.toHexString(nextId)).append(", owns");
        for (ExtentModel extent : owned) {
            text.append(' ').append(Long.toHexString(extent.id));
        }
        return text.toString();
    }

    @Override
    public void run() {
        for (int operation = 0; operation < MAX_OPERATIONS && !device.isCut(); operation++) {
            try {
                step();
            } catch (StoreFullException e) {
                // A small device filled up: the operation may have been applied in part (recorded
                // as in flight), and the workload goes on.
                full++;
            } catch (IOException | RuntimeException e) {
                if (!device.isCut()) {
                    failure = e;
                }
                return;
            } catch (AssertionError e) {
                failure = e;
                return;
            }
        }
    }

    private void step() throws IOException {
        if (owned.isEmpty()) {
            create();
            return;
        }
        ExtentModel extent = owned.get(random.nextInt(owned.size()));
        int choice = random.nextInt(100);
        if (choice < 35) {
            int sectors = 1 + random.nextInt(random.nextBoolean() ? 4 : 24);
            write(extent, random.nextInt(PowerLossTest.EXTENT_SECTORS - sectors + 1), sectors);
        } else if (choice < 55) {
            blockWrite(extent);
        } else if (choice < 65) {
            unmap(extent);
        } else if (choice < 77) {
            read(extent);
        } else if (choice < 85) {
            if (owned.size() < MAX_EXTENTS) {
                snapshot(extent);
            }
        } else if (choice < 92) {
            if (owned.size() > 1 || random.nextInt(4) == 0) {
                delete(extent);
            }
        } else if (owned.size() < MAX_EXTENTS) {
            create();
        }
    }

    /** Whole blocks: new ones go direct; a run of them continues a sequential stream. */
    private void blockWrite(final ExtentModel extent) throws IOException {
        int blocks = 1 + random.nextInt(3);
        int blocksPerExtent = PowerLossTest.EXTENT_SECTORS / BLOCK_SECTORS;
        int first;
        if (sequentialExtent == extent && sequentialNext >= 0 && sequentialNext + blocks <= blocksPerExtent
                && random.nextInt(4) != 0) {
            first = (int) sequentialNext;
        } else {
            first = random.nextInt(blocksPerExtent - blocks + 1);
        }
        sequentialExtent = extent;
        sequentialNext = first + blocks;
        write(extent, first * BLOCK_SECTORS, blocks * BLOCK_SECTORS);
    }

    private void write(final ExtentModel extent, final int firstSector, final int sectors) throws IOException {
        long writeId = writeIds.incrementAndGet();
        ByteBuffer data = CrashPattern.data(0, writeId, (long) firstSector * SECTOR, sectors);
        long version;
        try {
            version = store.write(extent.id, 1, (long) firstSector * SECTOR, data);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < sectors; i++) {
                extent.alternative[firstSector + i] = writeId;
            }
            throw e;
        }
        for (int i = 0; i < sectors; i++) {
            extent.acked[firstSector + i] = writeId;
            extent.alternative[firstSector + i] = PowerLossTest.NONE;
        }
        extent.version = Math.max(extent.version, version);
        acknowledged++;
    }

    private void unmap(final ExtentModel extent) throws IOException {
        int first;
        int sectors;
        if (random.nextBoolean()) {
            int blocks = 1 + random.nextInt(2);
            first = random.nextInt(PowerLossTest.EXTENT_SECTORS / BLOCK_SECTORS - blocks + 1) * BLOCK_SECTORS;
            sectors = blocks * BLOCK_SECTORS;
        } else {
            sectors = 1 + random.nextInt(20);
            first = random.nextInt(PowerLossTest.EXTENT_SECTORS - sectors + 1);
        }
        try {
            store.unmap(extent.id, 1, (long) first * SECTOR, (long) sectors * SECTOR);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < sectors; i++) {
                extent.alternative[first + i] = 0;
            }
            throw e;
        }
        for (int i = 0; i < sectors; i++) {
            extent.acked[first + i] = 0;
            extent.alternative[first + i] = PowerLossTest.NONE;
        }
        acknowledged++;
    }

    /** A live read: what was acknowledged (or what a write refused for lack of space left behind). */
    private void read(final ExtentModel extent) throws IOException {
        int sectors = 1 + random.nextInt(64);
        int first = random.nextInt(PowerLossTest.EXTENT_SECTORS - sectors + 1);
        ByteBuffer data = ByteBuffer.allocate(sectors * SECTOR);
        store.read(extent.id, (long) first * SECTOR, data);
        for (int i = 0; i < sectors; i++) {
            long found = CrashPattern.identify(data, i * SECTOR, 0, (long) (first + i) * SECTOR);
            if (found != extent.acked[first + i] && found != extent.alternative[first + i]) {
                throw new AssertionError("live read of extent " + extent.id + " sector " + (first + i) + " found "
                        + PowerLossTest.Iteration.describe(found) + ", expected "
                        + PowerLossTest.Iteration.describe(extent.acked[first + i]));
            }
        }
    }

    private void create() throws IOException {
        ExtentModel extent = new ExtentModel(++nextId, new long[PowerLossTest.EXTENT_SECTORS]);
        extent.certain = false;
        model.put(extent.id, extent);
        store.create(extent.id, 1);
        extent.certain = true;
        owned.add(extent);
        acknowledged++;
    }

    private void snapshot(final ExtentModel parent) throws IOException {
        ExtentModel child = new ExtentModel(++nextId, parent.acked.clone());
        System.arraycopy(parent.alternative, 0, child.alternative, 0, parent.alternative.length);
        child.certain = false;
        model.put(child.id, child);
        store.snapshot(parent.id, child.id, 1);
        child.certain = true;
        owned.add(child);
        acknowledged++;
    }

    private void delete(final ExtentModel extent) throws IOException {
        extent.certain = false;
        store.delete(extent.id, 1);
        extent.exists = false;
        extent.certain = true;
        owned.remove(extent);
        acknowledged++;
    }
}
